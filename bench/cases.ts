/** The request-path cases of Part 1 (bodies from payloads.ts); no app code, so the orchestrator can list them. */
import { drainBody, errorBody, llmBody, logsBody, otlpLogsBody, otlpTracesBody, spanBody } from "./payloads.ts";

export interface BenchCase {
	name: string;
	label: string;
	path: string;
	body: string;
	/** "bare": the bare Hono handler answers instead of the app. */
	app: "app" | "bare";
	/** When set, request i of the run sends vary(i) (same shape and size as `body`, never repeated). */
	vary?: (i: number) => string;
}

let cases: BenchCase[] | undefined;

export function benchCases(): BenchCase[] {
	if (cases) return cases;
	const log1 = logsBody(1);
	cases = [
		{ name: "log1", label: "1 log", path: "/ingest/logs", body: log1, app: "app" },
		{ name: "bare1", label: "1 log, bare Hono handler", path: "/ingest/logs", body: log1, app: "bare" },
		{ name: "logs50", label: "50 logs", path: "/ingest/logs", body: logsBody(50), app: "app" },
		{ name: "logs1000", label: "1000 logs", path: "/ingest/logs", body: logsBody(1000), app: "app" },
		{ name: "error40", label: "error, 40-frame stack", path: "/ingest/errors", body: errorBody(40), app: "app" },
		{
			name: "error40new",
			label: "error, 40-frame stack never seen before",
			path: "/ingest/errors",
			body: errorBody(40, 1),
			app: "app",
			vary: (i) => errorBody(40, i + 1),
		},
		{ name: "span", label: "span", path: "/ingest/traces", body: spanBody(), app: "app" },
		{ name: "llm", label: "LLM record", path: "/ingest/llm", body: llmBody(), app: "app" },
		{
			name: "llmSdk",
			label: "LLM record as the SDK sends it (cost 0)",
			path: "/ingest/llm",
			body: llmBody({ sdk: true }),
			app: "app",
		},
		// Exports differ request by request: the same body again is a redelivery, answered without a write.
		{
			name: "otlpTraces20",
			label: "OTLP/JSON, 20 spans",
			path: "/v1/traces",
			body: otlpTracesBody(20),
			app: "app",
			vary: (i) => otlpTracesBody(20, i + 1),
		},
		{
			name: "otlpLogs20",
			label: "OTLP/JSON, 20 log records",
			path: "/v1/logs",
			body: otlpLogsBody(20),
			app: "app",
			vary: (i) => otlpLogsBody(20, i + 1),
		},
		{ name: "drain5mb", label: "5 MB drain batch", path: "/ingest/drain", body: drainBody(), app: "app" },
	];
	return cases;
}
