/**
 * The request kinds the cost section prices: what an SDK, Vercel or an OpenTelemetry exporter sends, one
 * body per request. Runtime-agnostic: the orchestrator sends them through `wrangler dev` (bench/cost.ts) and the CPU
 * child runs them in a workerd isolate (bench/cost-cpu-worker.ts).
 */
import fixtures from "../test/worker/fixtures/sourcemaps.json" with { type: "json" };
import { drainBatchBody, errorBody, llmBody, logsBody, otlpTracesBody, spanBody } from "./payloads.ts";

export type CostKindName = "logs50" | "error" | "span" | "llm" | "drain100" | "otlp20" | "errorMapped";

export interface CostKind {
	name: CostKindName;
	label: string;
	path: string;
	/** The table the route writes: the floor inserts the same rows there. */
	table: "logs" | "errors" | "spans" | "llm_usage";
	/**
	 * Request i's body. Errors differ per request (neither the fingerprint memo nor the resolved-stack memo answers),
	 * and so do drain and OTLP bodies (the same body again is a redelivery, stored once).
	 */
	body(i: number): string;
	/** The key's project has uploaded the fixture's maps under this release first. */
	mapsRelease?: string;
}

/** The source-mapped app of the tests (dev/sourcemap-fixtures.ts): esbuild's maps, the stack a browser printed. */
const MAPPED = fixtures.a;
export const MAPS_RELEASE = "bench-cost-maps";

/** The fixture's 4 frames repeated to 40 (real positions in a real map), headed by a message that varies with i. */
function mappedStack(i: number): string {
	const [, ...frames] = MAPPED.stack.split("\n");
	const lines = [`RangeError: quantity must be positive for B-${i}`];
	while (lines.length <= 40) lines.push(...frames);
	return lines.slice(0, 41).join("\n");
}

/** A body that does not vary, built once. */
function once(make: () => string): () => string {
	let body: string | undefined;
	return () => {
		body ??= make();
		return body;
	};
}

export const COST_KINDS: readonly CostKind[] = [
	{ name: "logs50", label: "50-log SDK batch", path: "/ingest/logs", table: "logs", body: once(() => logsBody(50)) },
	{
		name: "error",
		label: "error, 40 frames",
		path: "/ingest/errors",
		table: "errors",
		body: (i) => errorBody(40, i + 1),
	},
	{ name: "span", label: "span", path: "/ingest/traces", table: "spans", body: once(spanBody) },
	{ name: "llm", label: "LLM record", path: "/ingest/llm", table: "llm_usage", body: once(llmBody) },
	{
		name: "drain100",
		label: "drain batch, 100 entries",
		path: "/ingest/drain",
		table: "logs",
		body: (i) => drainBatchBody(100, i + 1),
	},
	{
		name: "otlp20",
		label: "OTLP/JSON, 20 spans",
		path: "/v1/traces",
		table: "spans",
		body: (i) => otlpTracesBody(20, i + 1),
	},
	{
		name: "errorMapped",
		label: "error via a source map, 40 frames",
		path: "/ingest/errors",
		table: "errors",
		body: (i) =>
			JSON.stringify({
				service: "web",
				environment: "production",
				release: MAPS_RELEASE,
				error_message: `quantity must be positive for B-${i}`,
				stack_trace: mappedStack(i),
				severity: "high",
			}),
		mapsRelease: MAPS_RELEASE,
	},
];

/** POST /ingest/sourcemaps of the fixture's maps, as the Next.js SDK uploads them. */
export function mapsUpload(url: string, key: string, release: string): Request {
	const form = new FormData();
	form.append("release", release);
	for (const m of MAPPED.maps) form.append("files", new Blob([m.content], { type: "application/json" }), m.name);
	return new Request(url, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
}
