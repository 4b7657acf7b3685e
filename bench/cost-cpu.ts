/**
 * The cost section's CPU figures: bench/cost-cpu-worker.ts in workerd (wrangler's unstable_startWorker, as Part 1's
 * bench/workerd.ts), driven round by round from here. Run as a child of bench/run.ts:
 *   node bench/cost-cpu.ts [compatibility date]
 * Prints, per kind, the median wall time per request in the isolate of the real app and of the floor.
 */
import { join } from "node:path";
import { startBenchWorker, workerJson } from "./bench-worker.ts";
import { emitResult } from "./child.ts";
import { COST_KINDS, type CostKindName } from "./cost-kinds.ts";
import { median } from "./stats.ts";

export interface CostCpu {
	kind: CostKindName;
	appNs: number;
	floorNs: number;
	ratio: number;
	rounds: number;
}

const ROUNDS = Number(process.env.BENCH_COST_ROUNDS ?? 9);
const BATCH_MS = Number(process.env.BENCH_WORKERD_BATCH_MS ?? 100);

const worker = await startBenchWorker({
	entrypoint: join(import.meta.dirname, "cost-cpu-worker.ts"),
	compatibilityDate: process.argv[2] ?? "2026-11-01",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		worker.dispose().finally(() => process.exit(130));
	});
}

const get = <T>(path: string) => workerJson<T>(worker, path);

try {
	const out: CostCpu[] = [];
	for (const kind of COST_KINDS) {
		const k = await get<{ app: number; floor: number }>(`/calibrate?kind=${kind.name}&batchMs=${BATCH_MS}`);
		const rounds: { app: number; floor: number }[] = [];
		for (let r = 0; r < ROUNDS; r++)
			rounds.push(await get(`/round?kind=${kind.name}&app=${k.app}&floor=${k.floor}&r=${r}`));
		out.push({
			kind: kind.name,
			appNs: median(rounds.map((x) => x.app)),
			floorNs: median(rounds.map((x) => x.floor)),
			ratio: median(rounds.map((x) => x.app / x.floor)),
			rounds: ROUNDS,
		});
	}
	emitResult(out);
} finally {
	await worker.dispose();
}
