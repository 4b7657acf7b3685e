/**
 * Request bodies of the benchmark: deterministic (seeded), shaped like what the SDKs and Vercel send.
 * Runtime-agnostic (used on Node and inside workerd).
 */

/** Mulberry32: a small seeded PRNG, so every run measures the same bytes. */
function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const hex = (r: () => number, n: number) => {
	let s = "";
	for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
	return s;
};
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const BASE_MS = Date.UTC(2026, 10, 26, 7, 0, 0);
const LEVELS = ["debug", "info", "info", "info", "warn", "error"] as const;
const MESSAGES = [
	"User signed up",
	"Payment captured",
	"Cache miss for session",
	"Rendered dashboard",
	"Webhook delivered",
	"Retrying upstream request",
	"Job finished",
	"Token refreshed",
];
const ROUTES = ["/api/checkout", "/api/users/me", "/dashboard", "/api/webhooks/stripe", "/api/search"];

/** One SDK log entry (~180 bytes as JSON). */
function logEntry(r: () => number, i: number): object {
	return {
		level: pick(r, LEVELS),
		message: pick(r, MESSAGES),
		timestamp: new Date(BASE_MS + i * 37).toISOString(),
		metadata: { route: pick(r, ROUTES), duration_ms: Math.floor(r() * 900) },
		trace_id: hex(r, 32),
	};
}

const otlpAttrs = (r: () => number) => [
	{ key: "http.route", value: { stringValue: pick(r, ROUTES) } },
	{ key: "http.status_code", value: { intValue: "200" } },
];
const otlpResource = { attributes: [{ key: "service.name", value: { stringValue: "web" } }] };
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);

/**
 * POST /v1/traces body, OTLP/JSON, with `n` spans (what an OpenTelemetry SDK exports in one batch); another `variant`
 * has other ids (a body the worker has not stored before).
 */
export function otlpTracesBody(n: number, variant = 0): string {
	const r = rng(1000 + n + variant * 7919);
	const spans = Array.from({ length: n }, (_, i) => ({
		traceId: hex(r, 32),
		spanId: hex(r, 16),
		name: `GET ${pick(r, ROUTES)}`,
		kind: 2,
		startTimeUnixNano: nanos(BASE_MS + i * 41),
		endTimeUnixNano: nanos(BASE_MS + i * 41 + Math.floor(r() * 900)),
		attributes: otlpAttrs(r),
		status: { code: 1 },
	}));
	return JSON.stringify({
		resourceSpans: [{ resource: otlpResource, scopeSpans: [{ scope: { name: "bench" }, spans }] }],
	});
}

/** POST /v1/logs body, OTLP/JSON, with `n` log records; another `variant` has other ids. */
export function otlpLogsBody(n: number, variant = 0): string {
	const r = rng(2000 + n + variant * 7919);
	const logRecords = Array.from({ length: n }, (_, i) => ({
		timeUnixNano: nanos(BASE_MS + i * 37),
		severityNumber: 9,
		severityText: "INFO",
		body: { stringValue: pick(r, MESSAGES) },
		attributes: otlpAttrs(r),
		traceId: hex(r, 32),
		spanId: hex(r, 16),
	}));
	return JSON.stringify({
		resourceLogs: [{ resource: otlpResource, scopeLogs: [{ scope: { name: "bench" }, logRecords }] }],
	});
}

/** POST /ingest/logs body with `n` entries (1 = one log, 50 = the SDK's batch, 1000 = the maximum, ~180 KB). */
export function logsBody(n: number): string {
	const r = rng(n);
	return JSON.stringify({
		service: "web",
		environment: "production",
		release: "2026.11.26-1",
		logs: Array.from({ length: n }, (_, i) => logEntry(r, i)),
	});
}

/** A Node/V8 stack of `frames` frames: in-app frames (deploy paths, hashed chunks) and node_modules frames. */
function v8Stack(r: () => number, frames: number): string {
	const lines = ["TypeError: Cannot read properties of undefined (reading 'id')"];
	const fns = ["handleCheckout", "loadUser", "Object.render", "async Promise.all", "processTicksAndRejections"];
	for (let i = 0; i < frames; i++) {
		const line = 10 + Math.floor(r() * 400);
		const col = 1 + Math.floor(r() * 80);
		if (i % 3 === 2) {
			lines.push(
				`    at ${pick(r, ["next", "dispatch", "Layer.handle"])} (/var/task/node_modules/hono/dist/compose.js:${line}:${col})`,
			);
		} else if (i % 5 === 4) {
			lines.push(`    at ${pick(r, fns)} (node:internal/process/task_queues:${line}:${col})`);
		} else {
			lines.push(`    at ${pick(r, fns)} (/var/task/.next/server/chunks/${i}-${hex(r, 16)}.js:${line}:${col})`);
		}
	}
	return lines.join("\n");
}

/** POST /ingest/errors body with a 40-frame stack (fingerprinted by the route), context and breadcrumbs. */
export function errorBody(frames = 40, variant = 0): string {
	// Variant 0 is the benchmark's usual error; others differ in their frames (a stack never seen before).
	const r = rng(40 + variant * 7919);
	return JSON.stringify({
		service: "web",
		environment: "production",
		release: "2026.11.26-1",
		error_message: "Cannot read properties of undefined (reading 'id')",
		stack_trace: v8Stack(r, frames),
		severity: "high",
		context: { route: "/api/checkout", method: "POST", userAgent: "Mozilla/5.0 (X11; Linux x86_64)" },
		trace_id: hex(r, 32),
		user_id: "user_2f9a1c",
		breadcrumbs: Array.from({ length: 5 }, (_, i) => ({
			type: "http",
			message: `GET ${pick(r, ROUTES)} 200`,
			timestamp: new Date(BASE_MS + i * 100).toISOString(),
		})),
	});
}

/** POST /ingest/traces body: one span. */
export function spanBody(): string {
	const r = rng(7);
	return JSON.stringify({
		service: "web",
		environment: "production",
		trace_id: hex(r, 32),
		span_id: hex(r, 16),
		parent_span_id: hex(r, 16),
		operation: "db.query users.findUnique",
		start_time: new Date(BASE_MS).toISOString(),
		duration_ms: 12.4,
		status: "ok",
		metadata: { "db.system": "postgresql", rows: 1 },
	});
}

/**
 * POST /ingest/llm body: one usage record. `sdk`: what the DeepTracer AI wrappers send (a dated model id, cost_usd
 * 0: the server prices it); otherwise a record that carries its own cost.
 */
export function llmBody(opts: { sdk?: boolean } = {}): string {
	return JSON.stringify({
		service: "web",
		environment: "production",
		model: opts.sdk ? "gpt-4o-mini-2024-07-18" : "gpt-4o-mini",
		provider: "openai",
		operation: opts.sdk ? "chat.completions.create" : "chat.completions",
		input_tokens: 1432,
		output_tokens: 212,
		cost_usd: opts.sdk ? 0 : 0.00034,
		latency_ms: 1840,
		metadata: { feature: "summarise", cached: false },
	});
}

/** One Vercel log drain entry (~560 bytes as JSON). */
function drainEntry(r: () => number, i: number): string {
	return JSON.stringify({
		id: `${hex(r, 24)}`,
		message: `${pick(r, ["GET", "POST"])} ${pick(r, ROUTES)} ${pick(r, MESSAGES)}`,
		timestamp: BASE_MS + i * 3,
		type: "stdout",
		source: pick(r, ["lambda", "edge", "build", "static"]),
		projectId: "prj_2a9c7f01b3",
		deploymentId: "dpl_7f3a9c21e8",
		host: "my-app.vercel.app",
		path: pick(r, ROUTES),
		level: pick(r, ["info", "warning", "error"]),
		environment: "production",
		requestId: `${hex(r, 4)}::${hex(r, 12)}`,
		statusCode: pick(r, [200, 200, 200, 304, 404, 500]),
		proxy: {
			timestamp: BASE_MS + i * 3,
			method: "GET",
			host: "my-app.vercel.app",
			path: pick(r, ROUTES),
			userAgent: ["Mozilla/5.0"],
			region: "fra1",
			statusCode: 200,
		},
	});
}

/** A Vercel log drain JSON array of about `bytes` bytes (default: just under the 5 MB limit). */
export function drainBody(bytes = 5 * 1024 * 1024 - 4096): string {
	const r = rng(5);
	const parts: string[] = [];
	let size = 2;
	for (let i = 0; ; i++) {
		const entry = drainEntry(r, i);
		if (size + entry.length + 1 > bytes) break;
		parts.push(entry);
		size += entry.length + 1;
	}
	return `[${parts.join(",")}]`;
}

/** A Vercel log drain JSON array of exactly `n` entries; another `variant` has other ids (a body never stored). */
export function drainBatchBody(n: number, variant = 0): string {
	const r = rng(5 + variant * 7919);
	return `[${Array.from({ length: n }, (_, i) => drainEntry(r, i)).join(",")}]`;
}
