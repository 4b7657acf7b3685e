/**
 * Part 1 inside workerd: the same harness as on Node, timed in the isolate. Local workerd advances
 * performance.now() during synchronous execution (production freezes it between I/O), so in-isolate
 * timing is honest here. Driven by bench/workerd.ts:
 *   GET /calibrate?case=NAME&batchMs=MS       → BatchSizes
 *   GET /round?case=NAME&app=K&floor=K&r=N    → RoundResult (ns per operation, wall time)
 */
import { benchCases, type Clock, calibrate, createRunner, runRound, silenceConsole } from "./harness.ts";

const clock: Clock = (() => {
	let t0 = 0;
	return {
		begin() {
			t0 = performance.now();
		},
		end: () => ({ wall: (performance.now() - t0) * 1e6, cpu: null }),
	};
})();

let runner: ReturnType<typeof createRunner> | undefined;

export default {
	async fetch(request: Request): Promise<Response> {
		silenceConsole();
		runner ??= createRunner();
		const url = new URL(request.url);
		const c = benchCases().find((x) => x.name === url.searchParams.get("case"));
		if (!c) return Response.json({ error: "unknown case" }, { status: 404 });
		if (url.pathname === "/calibrate") {
			const batchMs = Number(url.searchParams.get("batchMs") ?? 20);
			return Response.json(await calibrate(runner, c, clock, 400, batchMs));
		}
		const k = { app: Number(url.searchParams.get("app") ?? 1), floor: Number(url.searchParams.get("floor") ?? 1) };
		const r = Number(url.searchParams.get("r") ?? 0);
		return Response.json(await runRound(runner, c, k, r, clock));
	},
};
