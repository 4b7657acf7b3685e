import { Hono } from "hono";

/**
 * The cost section's floor: a bare Hono worker that parses each body and inserts the same rows (the same tables and
 * columns as src/ingest/rows.ts) straight into ClickHouse, one insert per request after the answer. No key lookup,
 * rate limit, validation, clipping, fingerprint, source maps, retry or spill: what storing the data costs at least.
 * Runtime-agnostic: bench/bare-insert-worker.ts inserts over HTTP, the CPU child into a function that drops the body.
 */
export type FloorInsert = (table: string, jsonEachRow: string) => Promise<void>;

type Json = Record<string, unknown>;

/** Every floor row is this project's (the floor has no key to learn one from). */
export const FLOOR_PROJECT = "5e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b";
const KEY = "0b5c8f8e-3a35-4c55-9b0e-5a1f2d3c4b5a";

/** "YYYY-MM-DD hh:mm:ss.fff", what DateTime64(3) reads in JSONEachRow, from Unix ms or ISO 8601 in UTC. */
const chTime = (t: number | string) => {
	const iso = typeof t === "number" ? new Date(t).toISOString() : t;
	return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};
const text = (v: unknown) => (v === undefined ? "" : String(v));
const object = (v: unknown) => JSON.stringify(v ?? {});

function provenance(now: number) {
	return { project_id: FLOOR_PROJECT, api_key_id: KEY, received_at: chTime(now) };
}

const logRows = (b: Json, now: number) =>
	(b.logs as Json[]).map((l) => ({
		...provenance(now),
		timestamp: l.timestamp === undefined ? chTime(now) : chTime(l.timestamp as string),
		service: b.service,
		environment: b.environment,
		release: text(l.release ?? b.release),
		level: l.level,
		message: l.message,
		metadata: object(l.metadata),
		trace_id: text(l.trace_id),
		span_id: text(l.span_id),
		request_id: text(l.request_id),
		context: text(l.context),
		vercel_id: text(l.vercel_id),
	}));

const errorRow = (b: Json, now: number) => ({
	...provenance(now),
	service: text(b.service),
	environment: text(b.environment),
	release: text(b.release),
	fingerprint: "",
	error_message: b.error_message,
	stack_trace: text(b.stack_trace),
	severity: text(b.severity),
	context: object(b.context),
	trace_id: text(b.trace_id),
	user_id: text(b.user_id),
	breadcrumbs: JSON.stringify(b.breadcrumbs ?? []),
});

const spanRow = (b: Json, now: number) => ({
	...provenance(now),
	service: b.service,
	environment: b.environment,
	release: text(b.release),
	trace_id: b.trace_id,
	span_id: b.span_id,
	parent_span_id: text(b.parent_span_id),
	operation: b.operation,
	start_time: chTime(b.start_time as string),
	duration_ms: Math.round(b.duration_ms as number),
	status: text(b.status),
	metadata: object(b.metadata),
});

const llmRow = (b: Json, now: number) => ({ ...provenance(now), ...b, metadata: object(b.metadata) });

const drainRows = (entries: Json[], now: number) =>
	entries.map(({ message, timestamp, level, environment, deploymentId, projectId, requestId, source, ...rest }) => ({
		...provenance(now),
		timestamp: chTime(timestamp as number),
		service: text(projectId),
		environment: text(environment),
		release: text(deploymentId),
		level: level === "warning" ? "warn" : text(level),
		message: text(message),
		metadata: JSON.stringify(rest),
		request_id: text(requestId),
		context: text(source),
	}));

interface OtlpValue {
	stringValue?: string;
	intValue?: string;
}
interface OtlpSpan {
	traceId: string;
	spanId: string;
	parentSpanId?: string;
	name: string;
	startTimeUnixNano: string;
	endTimeUnixNano: string;
	attributes?: { key: string; value: OtlpValue }[];
	status?: { code?: number };
}
const attrs = (list: { key: string; value: OtlpValue }[] = []) =>
	Object.fromEntries(list.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]));

function otlpRows(b: Json, now: number) {
	const rows: object[] = [];
	for (const rs of b.resourceSpans as { resource?: { attributes?: [] }; scopeSpans: { spans: OtlpSpan[] }[] }[]) {
		const service = text(attrs(rs.resource?.attributes)["service.name"]);
		for (const ss of rs.scopeSpans)
			for (const s of ss.spans) {
				const start = Number(BigInt(s.startTimeUnixNano) / 1_000_000n);
				rows.push({
					...provenance(now),
					service,
					trace_id: s.traceId,
					span_id: s.spanId,
					parent_span_id: text(s.parentSpanId),
					operation: s.name,
					start_time: chTime(start),
					duration_ms: Number(BigInt(s.endTimeUnixNano) / 1_000_000n) - start,
					status: s.status?.code === 2 ? "error" : "ok",
					metadata: JSON.stringify(attrs(s.attributes)),
				});
			}
	}
	return rows;
}

const ROUTES: Record<string, { table: string; rows: (body: Json, now: number) => object[] }> = {
	"/ingest/logs": { table: "logs", rows: logRows },
	"/ingest/errors": { table: "errors", rows: (b, now) => [errorRow(b, now)] },
	"/ingest/traces": { table: "spans", rows: (b, now) => [spanRow(b, now)] },
	"/ingest/llm": { table: "llm_usage", rows: (b, now) => [llmRow(b, now)] },
	"/ingest/drain": { table: "logs", rows: (b, now) => drainRows(b as unknown as Json[], now) },
	"/v1/traces": { table: "spans", rows: otlpRows },
};

export function createBareInsertApp(insert: FloorInsert) {
	const app = new Hono();
	app.get("/health", (c) => c.json({ status: "ok" }));
	for (const [path, route] of Object.entries(ROUTES)) {
		app.post(path, async (c) => {
			const rows = route.rows(await c.req.json(), Date.now());
			let body = "";
			for (const row of rows) body += `${JSON.stringify(row)}\n`;
			c.executionCtx.waitUntil(insert(route.table, body));
			return c.json({ ok: true, count: rows.length });
		});
	}
	return app;
}
