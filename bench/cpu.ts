/**
 * Part 1 on Node (V8, like workerd): request-path cost of each case next to its floor, in interleaved rounds.
 * Run as a child of bench/run.ts; prints one JSON result line.
 */

import { emitResult } from "./child.ts";
import {
	type BatchSizes,
	benchCases,
	type Clock,
	calibrate,
	createRunner,
	median,
	type RoundResult,
	runRound,
	silenceConsole,
} from "./harness.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
// Thread CPU time advances in scheduler ticks (4 ms on a 250 Hz kernel): a batch of 200 ms keeps that under 2%.
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 200);

/** CPU time of the main thread (the isolate's, what Workers bill; background GC, compiler and thread-pool threads excluded) and wall time. */
const clock: Clock = (() => {
	let cpu0 = process.threadCpuUsage();
	let wall0 = 0;
	return {
		begin() {
			cpu0 = process.threadCpuUsage();
			wall0 = performance.now();
		},
		end() {
			const wall = (performance.now() - wall0) * 1e6;
			const d = process.threadCpuUsage(cpu0);
			return { wall, cpu: (d.user + d.system) * 1e3 };
		},
	};
})();

silenceConsole();
const runner = createRunner();
// BENCH_CASES=log1,bare1 measures only those (quick iterations on one figure).
const only = new Set((process.env.BENCH_CASES ?? "").split(",").filter(Boolean));
const cases = benchCases().filter((c) => only.size === 0 || only.has(c.name));
const ks = new Map<string, BatchSizes>();
for (const c of cases) ks.set(c.name, await calibrate(runner, c, clock, 400, BATCH_MS));

const rounds = new Map<string, RoundResult[]>(cases.map((c) => [c.name, []]));
// The 5 MB case runs in rounds of its own: its garbage would otherwise be collected in the next case's batch.
for (const group of [cases.filter((c) => c.name !== "drain5mb"), cases.filter((c) => c.name === "drain5mb")]) {
	for (let r = 0; r < ROUNDS; r++) {
		for (const c of group) {
			rounds.get(c.name)?.push(await runRound(runner, c, ks.get(c.name) ?? { app: 1, floor: 1 }, r, clock));
		}
	}
}

emitResult(
	cases.map((c) => {
		const rs = rounds.get(c.name) ?? [];
		return {
			name: c.name,
			label: c.label,
			bytes: new TextEncoder().encode(c.body).byteLength,
			k: ks.get(c.name),
			rounds: rs.length,
			appCpuNs: median(rs.map((x) => x.app.cpu ?? 0)),
			floorCpuNs: median(rs.map((x) => x.floor.cpu ?? 0)),
			cpuRatio: median(rs.map((x) => (x.app.cpu ?? 0) / (x.floor.cpu ?? 1))),
			appWallNs: median(rs.map((x) => x.app.wall)),
			floorWallNs: median(rs.map((x) => x.floor.wall)),
			wallRatio: median(rs.map((x) => x.app.wall / x.floor.wall)),
		};
	}),
);
