/**
 * The real worker (src/index.ts) with counters around what no store proxy sees: its R2 calls (the SOURCEMAPS binding
 * is wrangler's emulation, in-process) and its console lines (Workers Logs bills each one as an event). The cost
 * section serves this entry under `wrangler dev` instead of src/index.ts; GET /__cost/counters answers the counts
 * (and resets them with ?reset=1) without entering the worker. Nothing else changes: the same env object goes in for
 * every request, so the worker still parses its config and builds its services once per isolate.
 */
import type { SourceMapBucket } from "../src/ports.ts";
import worker from "./src-worker.js";

export interface CostCounters {
	r2: { head: number; get: number; put: number; list: number; delete: number };
	console: { lines: number; bytes: number };
}

const zero = (): CostCounters => ({
	r2: { head: 0, get: 0, put: 0, list: 0, delete: 0 },
	console: { lines: 0, bytes: 0 },
});
let counts = zero();

const utf8 = new TextEncoder();
for (const level of ["log", "info", "warn", "error"] as const) {
	const original = console[level].bind(console);
	console[level] = (...args: unknown[]) => {
		counts.console.lines++;
		counts.console.bytes += utf8.encode(args.map(String).join(" ")).byteLength;
		original(...args);
	};
}

function counted(bucket: SourceMapBucket): SourceMapBucket {
	const tally = (op: keyof CostCounters["r2"]) => {
		counts.r2[op]++;
	};
	return {
		head(key) {
			tally("head");
			return bucket.head(key);
		},
		get(key) {
			tally("get");
			return bucket.get(key);
		},
		put(key, value, options) {
			tally("put");
			return bucket.put(key, value, options);
		},
		list(options) {
			tally("list");
			return bucket.list(options);
		},
		delete(keys) {
			tally("delete");
			return bucket.delete(keys);
		},
	};
}

const wrapped = new WeakMap<object, object>();
function envWithCounters(env: Record<string, unknown>): object {
	let out = wrapped.get(env);
	if (out === undefined) {
		const bucket = env.SOURCEMAPS as SourceMapBucket | undefined;
		out = bucket ? { ...env, SOURCEMAPS: counted(bucket) } : env;
		wrapped.set(env, out);
	}
	return out;
}

export default {
	fetch(request: Request, env: Record<string, unknown>, ctx: object): Response | Promise<Response> {
		if (new URL(request.url).pathname === "/__cost/counters") {
			const answer = Response.json(counts);
			if (new URL(request.url).searchParams.has("reset")) counts = zero();
			return answer;
		}
		return worker.fetch(request, envWithCounters(env), ctx);
	},
};
