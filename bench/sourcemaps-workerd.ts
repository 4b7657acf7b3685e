/**
 * Part 5 in workerd (the Workers Free 10 ms CPU limit): the first error of a fresh isolate resolved through a 3.5 MB map, against the
 * first error of a fresh isolate without maps. Each run starts a worker of its own (bench/workerd-sourcemaps.ts),
 * hands it the map's index as R2 would, serves one error without frames (module loaded, a request served, as in the
 * Node figure), then times the first 40-frame error in the isolate. Run as a child of bench/run.ts:
 *   node bench/sourcemaps-workerd.ts
 */
import { join } from "node:path";
import { buildIndex } from "../src/sourcemaps/index-format.ts";
import { syntheticMap } from "../test/fixtures/synthetic-map.ts";
import { type BenchWorker, startBenchWorker, workerJson } from "./bench-worker.ts";
import { compatibilityDate } from "./bundle.ts";
import { emitResult } from "./child.ts";
import { BENCH_PROJECT_ID } from "./harness.ts";
import { CHUNK, stackFor } from "./sourcemap-shapes.ts";
import { median } from "./stats.ts";

const RUNS = Number(process.env.BENCH_SM_WORKERD_RUNS ?? 5);

const map = syntheticMap(3.5 * 1024 * 1024, 1024 * 1024);
const built = await buildIndex(new TextEncoder().encode(map.json));
if (!built.ok) throw new Error(`index: ${built.reason}`);
const index = built.index;
const stack = stackFor(map.maxColumn);

const post = <T>(worker: BenchWorker, path: string, body: string | Uint8Array<ArrayBuffer>) =>
	workerJson<T>(worker, path, body);

interface Answer {
	status: number;
	ms: number;
	body: { fingerprint?: string };
}

async function firstError(withMaps: boolean): Promise<Answer> {
	const worker = await startBenchWorker({
		entrypoint: join(import.meta.dirname, "workerd-sourcemaps.ts"),
		compatibilityDate: compatibilityDate(),
	});
	try {
		if (withMaps) await post(worker, `/seed?key=${BENCH_PROJECT_ID}|bench|${CHUNK}.map`, index);
		await post<Answer>(worker, "/error", "Error: warm-up without frames");
		const first = await post<Answer>(worker, "/error", stack);
		if (first.status !== 200) throw new Error(`first error: ${first.status}`);
		return first;
	} finally {
		await worker.dispose();
	}
}

const runs = { maps: [] as number[], none: [] as number[] };
const fingerprints = { maps: "", none: "" };
for (let r = 0; r < RUNS; r++) {
	for (const variant of ["maps", "none"] as const) {
		const answer = await firstError(variant === "maps");
		runs[variant].push(answer.ms);
		fingerprints[variant] = answer.body.fingerprint ?? "";
	}
}
// Unresolved, the stack fingerprints otherwise: the same fingerprint would mean nothing was resolved.
if (fingerprints.maps === fingerprints.none) throw new Error("the map did not change the fingerprint");
emitResult({ maps: median(runs.maps), none: median(runs.none), runs, indexBytes: index.byteLength });
