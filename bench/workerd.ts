/**
 * Part 1 inside workerd: bench/workerd-bench.ts served by wrangler's unstable_startWorker (workerd, as
 * `wrangler dev` runs it), driven round by round from here. Run as a child of bench/run.ts.
 *   node bench/workerd.ts [compatibility date]
 */
import { join } from "node:path";
import { type BenchWorker, startBenchWorker, workerJson } from "./bench-worker.ts";
import { benchCases } from "./cases.ts";
import { emitResult } from "./child.ts";
import type { BatchSizes, RoundResult } from "./harness.ts";
import { median } from "./stats.ts";

const BATCH_MS = Number(process.env.BENCH_WORKERD_BATCH_MS ?? 100);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const compatibilityDate = process.argv[2] ?? "2026-11-01";

type Worker = BenchWorker;
const live = new Set<Worker>();
const stopAll = async () => {
	await Promise.allSettled([...live].map((w) => w.dispose()));
	live.clear();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		stopAll().finally(() => process.exit(130));
	});
}

async function start(entrypoint: string, bundle: boolean): Promise<Worker> {
	const worker = await startBenchWorker({ entrypoint, compatibilityDate, bundle });
	live.add(worker);
	return worker;
}

async function stop(worker: Worker): Promise<void> {
	live.delete(worker);
	await worker.dispose();
}

const get = workerJson;

/** Request-path cost per case, measured in the isolate, app and floor interleaved. */
async function micro() {
	const worker = await start(join(import.meta.dirname, "workerd-bench.ts"), true);
	try {
		// BENCH_CASES=log1,bare1 measures only those (quick iterations on one figure).
		const only = new Set((process.env.BENCH_CASES ?? "").split(",").filter(Boolean));
		const cases = benchCases().filter((c) => only.size === 0 || only.has(c.name));
		const ks = new Map<string, BatchSizes>();
		for (const c of cases)
			ks.set(c.name, await get<BatchSizes>(worker, `/calibrate?case=${c.name}&batchMs=${BATCH_MS}`));
		const rounds = new Map<string, RoundResult[]>(cases.map((c) => [c.name, []]));
		// The 5 MB case runs in rounds of its own: its garbage would otherwise be collected in the next case's batch.
		const groups = [cases.filter((c) => c.name !== "drain5mb"), cases.filter((c) => c.name === "drain5mb")];
		for (const group of groups)
			for (let r = 0; r < ROUNDS; r++) {
				for (const c of group) {
					rounds
						.get(c.name)
						?.push(
							await get<RoundResult>(
								worker,
								`/round?case=${c.name}&app=${ks.get(c.name)?.app}&floor=${ks.get(c.name)?.floor}&r=${r}`,
							),
						);
				}
			}
		return cases.map((c) => {
			const rs = rounds.get(c.name) ?? [];
			return {
				name: c.name,
				k: ks.get(c.name),
				appWallNs: median(rs.map((x) => x.app.wall)),
				floorWallNs: median(rs.map((x) => x.floor.wall)),
				wallRatio: median(rs.map((x) => x.app.wall / x.floor.wall)),
			};
		});
	} finally {
		await stop(worker);
	}
}

try {
	emitResult(await micro());
} finally {
	await stopAll();
}
