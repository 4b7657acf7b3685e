import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_TABLES, type EventTable } from "../../src/ports.ts";
import { logsProtobuf, tracesProtobuf, type Value, type WireLog, type WireSpan } from "../fixtures/otlp-wire.ts";
import { call, createKey, storedRows, type TestKey } from "./helpers.ts";

// Every 200 is stored: scenarios of valid and edge-case requests to every ingest route, posted to the
// worker on the real stack. For each 200 the rows stored equal, field by field, the rows an independent model
// of the contract expects; nothing else is stored; no two requests dedup each other unless they are the same
// idempotent request (route, Idempotency-Key and body). PROPERTY_RUNS / PROPERTY_SEED for longer or other runs.

const RUNS = Number(env.PROPERTY_RUNS);
const SEED = Number(env.PROPERTY_SEED);

type Table = EventTable;
type Row = Record<string, unknown>;
/** A column's expected value; RECEIVED: the row's own received_at; a Subset: these keys of the JSON text. */
const RECEIVED = Symbol("received_at");
interface Subset {
	subset: Record<string, unknown>;
}
type Expected = Record<string, string | number | typeof RECEIVED | Subset>;
interface Sent {
	path: string;
	contentType: string;
	body: string | Uint8Array<ArrayBuffer>;
	table: Table;
	/** The rows the contract promises for a 200 (the response body is given: the fingerprint, the count). */
	rows(response: Row): Expected[];
}

// ---- values: ordinary, at the limits (an emoji ending exactly there), lone surrogates, escapes ----

const UNITS = ["a", "Z", "é", "中", "😀", "👩‍💻", " ", '"', "\\", "\n", "\u0000", "\ud800", "\udfff"];
const text = (maxLength: number) => fc.string({ unit: fc.constantFrom(...UNITS), maxLength });
/** Exactly `max` UTF-16 units, an emoji's two halves at max-2 and max-1, or just before. */
const atLimit = (max: number) => fc.nat({ max: 2 }).map((k) => `${"a".repeat(max - 2 - k)}😀${"b".repeat(k)}`);
/** Over `max` with an emoji across the cut: what the drain clips. */
const overLimit = (max: number) => fc.nat({ max: 2 }).map((k) => `${"a".repeat(max - 1 - k)}😀${"c".repeat(k + 3)}`);
const name = fc.oneof({ weight: 4, arbitrary: text(12) }, { weight: 1, arbitrary: atLimit(256) });
const release = fc.oneof({ weight: 4, arbitrary: text(12) }, { weight: 1, arbitrary: atLimit(128) });
const metadata = fc.dictionary(text(6), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
const ms = fc.oneof(
	{ weight: 6, arbitrary: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }) },
	{ weight: 1, arbitrary: fc.constantFrom(MIN_TIME, MAX_TIME, Date.UTC(1970, 0, 1), Date.UTC(2299, 11, 31)) },
);
/** ISO 8601 forms of one instant: canonical, with an offset, with microseconds. */
const iso = fc.tuple(ms, fc.nat({ max: 2 }), fc.integer({ min: -12 * 60, max: 14 * 60 })).map(([t, form, offset]) => {
	if (form === 0) return new Date(t).toISOString();
	if (form === 1) return `${new Date(t).toISOString().slice(0, 23)}456Z`;
	const local = new Date(t + offset * 60_000).toISOString().slice(0, 23);
	const sign = offset < 0 ? "-" : "+";
	const a = Math.abs(offset);
	return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
});

/** DateTime64(3) as ClickHouse returns it. */
const rowTime = (t: number) => new Date(Math.floor(t)).toISOString().replace("T", " ").slice(0, 23);
/** What the worker repairs before a row leaves (a lone surrogate cannot be UTF-8). */
const wf = (s: string) => s.toWellFormed();
const json = (v: unknown) => JSON.stringify(v);
const roundHalfAway = (n: number) => Math.round(n); // n >= 0
function clip(s: string, max: number): string {
	if (s.length <= max) return s;
	const cut = s.slice(0, max);
	return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

// ---- the routes, each with its model ----

const logs: fc.Arbitrary<Sent> = fc
	.record(
		{
			service: name,
			environment: name,
			release,
			logs: fc.array(
				fc.record(
					{
						level: fc.constantFrom("debug", "info", "warn", "error"),
						message: text(30),
						timestamp: iso,
						metadata,
						trace_id: name,
						span_id: text(8),
						request_id: text(8),
						context: name,
						release,
						vercel_id: text(8),
					},
					{ requiredKeys: ["level", "message"] },
				),
				{ minLength: 1, maxLength: 6 },
			),
		},
		{ requiredKeys: ["logs"] },
	)
	.map((b) => ({
		path: "/ingest/logs",
		contentType: "application/json",
		body: json(b),
		table: "logs",
		rows: () =>
			b.logs.map((l) => ({
				service: wf(b.service ?? "unknown"),
				environment: wf(b.environment ?? "production"),
				release: wf(l.release ?? b.release ?? ""),
				level: l.level,
				message: wf(l.message),
				timestamp: l.timestamp === undefined ? RECEIVED : rowTime(Date.parse(l.timestamp)),
				metadata: l.metadata === undefined ? "{}" : json(l.metadata),
				trace_id: wf(l.trace_id ?? ""),
				span_id: wf(l.span_id ?? ""),
				request_id: wf(l.request_id ?? ""),
				context: wf(l.context ?? ""),
				vercel_id: wf(l.vercel_id ?? ""),
			})),
	}));

const errors: fc.Arbitrary<Sent> = fc
	.record(
		{
			service: name,
			environment: name,
			error_message: text(30),
			stack_trace: fc.oneof(text(30), fc.constant("TypeError: x\n    at f (/app/src/a.ts:1:2)")),
			severity: fc.constantFrom("low", "medium", "high", "critical"),
			context: metadata,
			trace_id: text(8),
			user_id: text(8),
			release,
			breadcrumbs: fc.array(fc.record({ type: name, message: text(10), timestamp: iso }), { maxLength: 3 }),
		},
		{ requiredKeys: ["error_message", "stack_trace"] },
	)
	.map((b) => ({
		path: "/ingest/errors",
		contentType: "application/json",
		body: json(b),
		table: "errors",
		rows: (res) => [
			{
				service: wf(b.service ?? "unknown"),
				environment: wf(b.environment ?? "production"),
				release: wf(b.release ?? ""),
				fingerprint: res.fingerprint as string,
				error_message: wf(b.error_message),
				stack_trace: wf(b.stack_trace),
				severity: b.severity ?? "medium",
				context: b.context === undefined ? "{}" : json(b.context),
				trace_id: wf(b.trace_id ?? ""),
				user_id: wf(b.user_id ?? ""),
				breadcrumbs: json(
					(b.breadcrumbs ?? []).map((c) => ({
						type: c.type,
						message: c.message,
						timestamp: new Date(Date.parse(c.timestamp)).toISOString(),
					})),
				),
			},
		],
	}));

const count = fc.oneof(fc.nat({ max: 1_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));

const traces: fc.Arbitrary<Sent> = fc
	.record(
		{
			service: name,
			trace_id: name,
			span_id: text(8),
			parent_span_id: text(8),
			operation: name,
			start_time: iso,
			duration_ms: count,
			status: fc.constantFrom("ok", "error"),
			metadata,
			release,
		},
		{ requiredKeys: ["trace_id", "span_id", "operation", "start_time", "duration_ms"] },
	)
	.map((b) => ({
		path: "/ingest/traces",
		contentType: "application/json",
		body: json(b),
		table: "spans",
		rows: () => [
			{
				service: wf(b.service ?? "unknown"),
				release: wf(b.release ?? ""),
				trace_id: wf(b.trace_id),
				span_id: wf(b.span_id),
				parent_span_id: wf(b.parent_span_id ?? ""),
				operation: wf(b.operation),
				start_time: rowTime(Date.parse(b.start_time)),
				duration_ms: roundHalfAway(b.duration_ms),
				status: b.status ?? "ok",
				metadata: b.metadata === undefined ? "{}" : json(b.metadata),
			},
		],
	}));

const llm: fc.Arbitrary<Sent> = fc
	.record(
		{
			model: name,
			provider: name,
			operation: name,
			input_tokens: count,
			output_tokens: count,
			cost_usd: fc.double({ min: 0, max: 1e6, noNaN: true }),
			latency_ms: count,
			metadata,
		},
		{ requiredKeys: ["model", "provider", "operation", "input_tokens", "output_tokens", "latency_ms"] },
	)
	.map((b) => ({
		path: "/ingest/llm",
		contentType: "text/plain;charset=UTF-8",
		body: json(b),
		table: "llm_usage",
		rows: () => [
			{
				model: wf(b.model),
				provider: wf(b.provider),
				operation: wf(b.operation),
				input_tokens: roundHalfAway(b.input_tokens),
				output_tokens: roundHalfAway(b.output_tokens),
				cost_usd: b.cost_usd ?? 0,
				latency_ms: roundHalfAway(b.latency_ms),
				metadata: b.metadata === undefined ? "{}" : json(b.metadata),
			},
		],
	}));

const DRAIN_LEVELS: Record<string, string> = {
	debug: "debug",
	info: "info",
	warning: "warn",
	warn: "warn",
	error: "error",
	fatal: "error",
};
const MAPPED = [
	"message",
	"timestamp",
	"level",
	"source",
	"environment",
	"deploymentId",
	"requestId",
	"traceId",
	"spanId",
];
const drainString = fc.oneof(text(10), overLimit(256), atLimit(256));

const drain: fc.Arbitrary<Sent> = fc
	.tuple(
		fc.array(
			fc.record(
				{
					id: text(6),
					timestamp: fc.oneof(
						fc.integer({ min: MIN_TIME, max: Date.UTC(2299, 11, 31) }),
						fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((t) => t + 0.5),
						fc.double({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1), noNaN: true }),
					),
					message: text(30),
					level: fc.constantFrom("info", "warning", "error", "fatal", "debug", "INFO"),
					projectName: drainString,
					environment: drainString,
					deploymentId: fc.oneof(text(10), overLimit(128)),
					requestId: drainString,
					traceId: drainString,
					spanId: text(8),
					source: drainString,
					statusCode: fc.constantFrom(200, 404, 500, 503, -1),
					proxy: fc.record({ statusCode: fc.constantFrom(200, 502, -1), path: text(8) }, { requiredKeys: [] }),
					host: text(8),
				},
				{ requiredKeys: ["timestamp"] },
			),
			{ minLength: 1, maxLength: 6 },
		),
		fc.boolean(),
	)
	.map(([entries, ndjson]) => ({
		path: "/ingest/drain",
		contentType: ndjson ? "application/x-ndjson" : "application/json",
		body: ndjson ? entries.map((e) => json(e)).join("\n") : json(entries),
		table: "logs",
		rows: () =>
			entries.map((e) => {
				const status = [e.statusCode, e.proxy?.statusCode];
				const failed = status.some((s) => s === -1 || (s !== undefined && s >= 500));
				const level = e.level === undefined ? "info" : (DRAIN_LEVELS[e.level.toLowerCase()] as string);
				const rest = Object.fromEntries(Object.entries(e).filter(([k]) => !MAPPED.includes(k)));
				return {
					service: wf(clip(e.projectName ?? "vercel", 256)),
					environment: wf(clip(e.environment ?? "production", 256)),
					release: wf(clip(e.deploymentId ?? "", 128)),
					level: failed ? "error" : level,
					message: wf(e.message ?? ""),
					timestamp: rowTime(e.timestamp),
					metadata: json(rest),
					trace_id: wf(clip(e.traceId ?? "", 256)),
					span_id: wf(e.spanId ?? ""),
					request_id: wf(clip(e.requestId ?? "", 256)),
					context: wf(clip(e.source ?? "", 256)),
					vercel_id: "",
				};
			}),
	}));

// Speed Insights and Web Analytics drains: their own tables, times ISO (Speed Insights) or ms (Analytics).
const webString = fc.oneof(text(10), atLimit(256));
const webVitals: fc.Arbitrary<Sent> = fc
	.tuple(
		fc.array(
			fc.record(
				{
					timestamp: ms,
					metricType: fc.constantFrom("CLS", "LCP", "FID", "FCP", "TTFB", "INP"),
					value: fc.double({ min: 0, max: 1e5, noNaN: true }),
					path: webString,
					route: webString,
					origin: webString,
					deviceId: fc.nat(),
					vercelEnvironment: webString,
					deploymentId: fc.oneof(text(10), overLimit(128)),
					country: webString,
					clientName: webString,
					connectionSpeed: webString,
				},
				{ requiredKeys: ["timestamp", "metricType", "value"] },
			),
			{ minLength: 1, maxLength: 5 },
		),
		fc.boolean(),
	)
	.map(([entries, ndjson]) => {
		const sent = entries.map((e) => ({
			schema: "vercel.speed_insights.v1",
			...e,
			timestamp: new Date(e.timestamp).toISOString(),
		}));
		return {
			path: "/ingest/drain",
			contentType: ndjson ? "application/x-ndjson" : "application/json",
			body: ndjson ? sent.map((e) => json(e)).join("\n") : json(sent),
			table: "web_vitals" as const,
			rows: () =>
				entries.map((e) => ({
					timestamp: rowTime(e.timestamp),
					metric: e.metricType,
					value: e.value,
					path: wf(e.path ?? ""),
					route: wf(e.route ?? ""),
					origin: wf(e.origin ?? ""),
					device_id: e.deviceId === undefined ? "" : String(e.deviceId),
					environment: wf(e.vercelEnvironment ?? "production"),
					release: wf(clip(e.deploymentId ?? "", 128)),
					country: wf(e.country ?? ""),
					client_name: wf(e.clientName ?? ""),
					connection_speed: wf(e.connectionSpeed ?? ""),
				})),
		} satisfies Sent;
	});

const webEvents: fc.Arbitrary<Sent> = fc
	.tuple(
		fc.array(
			fc.record(
				{
					schema: fc.constantFrom("vercel.analytics.v1", "vercel.analytics.v2"),
					eventType: fc.constantFrom("pageview", "event"),
					eventName: webString,
					eventData: fc.option(
						metadata.map((m) => json(m)),
						{ nil: undefined },
					),
					timestamp: fc.integer({ min: MIN_TIME, max: Date.UTC(2299, 11, 31) }),
					sessionId: fc.nat(),
					deviceId: fc.nat(),
					path: webString,
					referrer: webString,
					queryParams: webString,
					deployment: text(10),
				},
				{ requiredKeys: ["schema", "eventType", "timestamp"] },
			),
			{ minLength: 1, maxLength: 5 },
		),
		fc.boolean(),
	)
	.map(([entries, ndjson]) => ({
		path: "/ingest/drain",
		contentType: ndjson ? "application/x-ndjson" : "application/json",
		body: ndjson ? entries.map((e) => json(e)).join("\n") : json(entries),
		table: "web_events" as const,
		rows: () =>
			entries.map((e) => ({
				schema: e.schema,
				event_type: e.eventType,
				event_name: wf(e.eventName ?? ""),
				event_data: e.eventData === undefined ? "" : wf(e.eventData),
				timestamp: rowTime(e.timestamp),
				session_id: e.sessionId === undefined ? "" : String(e.sessionId),
				device_id: e.deviceId === undefined ? "" : String(e.deviceId),
				path: wf(e.path ?? ""),
				referrer: wf(e.referrer ?? ""),
				query_params: wf(e.queryParams ?? ""),
				release: wf(e.deployment ?? ""),
			})),
	}));

// OTLP: one resource, one scope, a few items; times well inside a millisecond so a JSON number's rounding
// (a double near 1.8e18 is exact to 256 ns) cannot move them across one.
const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const nonZeroHex = (n: number) => hex(n).filter((h) => !/^0+$/.test(h));
const attrValue: fc.Arbitrary<Value> = fc.oneof(text(10), fc.integer({ min: -1e9, max: 1e9 }), fc.boolean());
const attrs = fc.dictionary(fc.string({ unit: fc.constantFrom(..."abc.xyz"), minLength: 1, maxLength: 6 }), attrValue, {
	maxKeys: 4,
});
const nanos = fc
	.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
	.map((t) => BigInt(t) * 1_000_000n + 500_000n);

const otlpAttrsJson = (a: Record<string, Value>) =>
	Object.entries(a).map(([key, v]) => ({
		key,
		value:
			typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : { intValue: String(v) },
	}));
const timeJson = (ns: bigint, asNumber: boolean) => (asNumber ? Number(ns) : String(ns));
/**
 * What the stored metadata JSON holds of the attributes: a lone surrogate stays one in OTLP/JSON (JSON text
 * escapes it), protobuf strings are UTF-8 (the encoder already made it U+FFFD).
 */
const subsetOf = (a: Record<string, Value>, protobuf: boolean) =>
	Object.fromEntries(
		Object.entries(a).map(([k, v]) => [protobuf ? wf(k) : k, typeof v === "string" && protobuf ? wf(v) : v]),
	);

const otlpTraces: fc.Arbitrary<Sent> = fc
	.record({
		service: text(12),
		scope: text(6),
		protobuf: fc.boolean(),
		numbers: fc.boolean(),
		spans: fc.array(
			fc.record({
				traceId: nonZeroHex(32),
				spanId: nonZeroHex(16),
				name: text(12),
				start: nanos,
				durationMs: fc.nat({ max: 100_000 }),
				attributes: attrs,
				error: fc.boolean(),
			}),
			{ minLength: 1, maxLength: 5 },
		),
	})
	.map((t) => {
		const wire: WireSpan[] = t.spans.map((s) => ({
			traceId: s.traceId,
			spanId: s.spanId,
			name: s.name,
			start: s.start,
			end: s.start + BigInt(s.durationMs) * 1_000_000n,
			attributes: s.attributes,
			status: s.error ? { code: 2 } : undefined,
		}));
		const resource = { "service.name": t.service };
		const body = t.protobuf
			? tracesProtobuf([{ resource, scopes: [{ name: t.scope, items: wire }] }])
			: json({
					resourceSpans: [
						{
							resource: { attributes: otlpAttrsJson(resource) },
							scopeSpans: [
								{
									scope: { name: t.scope },
									spans: wire.map((s) => ({
										traceId: s.traceId,
										spanId: s.spanId,
										name: s.name,
										startTimeUnixNano: timeJson(s.start, t.numbers),
										endTimeUnixNano: timeJson(s.end, t.numbers),
										attributes: otlpAttrsJson(s.attributes ?? {}),
										status: s.status,
									})),
								},
							],
						},
					],
				});
		return {
			path: "/v1/traces",
			contentType: t.protobuf ? "application/x-protobuf" : "application/json",
			body,
			table: "spans",
			rows: () =>
				t.spans.map((s) => ({
					service: wf(t.service),
					trace_id: s.traceId,
					span_id: s.spanId,
					parent_span_id: "",
					operation: wf(s.name),
					start_time: rowTime(Number(s.start / 1_000_000n)),
					duration_ms: s.durationMs,
					status: s.error ? "error" : "ok",
					metadata: { subset: { ...subsetOf({ "service.name": t.service, ...s.attributes }, t.protobuf) } },
				})),
		} satisfies Sent;
	});

const otlpLogs: fc.Arbitrary<Sent> = fc
	.record({
		service: text(12),
		scope: text(6),
		protobuf: fc.boolean(),
		records: fc.array(
			fc.record({ time: nanos, severity: fc.constantFrom(1, 9, 13, 17), body: text(20), attributes: attrs }),
			{ minLength: 1, maxLength: 5 },
		),
	})
	.map((t) => {
		const wire: WireLog[] = t.records.map((r) => ({
			time: r.time,
			severityNumber: r.severity,
			body: r.body,
			attributes: r.attributes,
		}));
		const resource = { "service.name": t.service };
		const body = t.protobuf
			? logsProtobuf([{ resource, scopes: [{ name: t.scope, items: wire }] }])
			: json({
					resourceLogs: [
						{
							resource: { attributes: otlpAttrsJson(resource) },
							scopeLogs: [
								{
									scope: { name: t.scope },
									logRecords: wire.map((r) => ({
										timeUnixNano: String(r.time),
										severityNumber: r.severityNumber,
										body: { stringValue: r.body },
										attributes: otlpAttrsJson(r.attributes ?? {}),
									})),
								},
							],
						},
					],
				});
		const LEVEL: Record<number, string> = { 1: "debug", 9: "info", 13: "warn", 17: "error" };
		return {
			path: "/v1/logs",
			contentType: t.protobuf ? "application/x-protobuf" : "application/json",
			body,
			table: "logs",
			rows: () =>
				t.records.map((r) => ({
					service: wf(t.service),
					level: LEVEL[r.severity] as string,
					message: wf(r.body),
					timestamp: rowTime(Number(r.time / 1_000_000n)),
					context: wf(t.scope),
					metadata: { subset: subsetOf({ "service.name": t.service, ...r.attributes }, t.protobuf) },
				})),
		} satisfies Sent;
	});

// ---- scenarios: a few requests of one project, request ids colliding or not, some sent twice as idempotent ----

interface Planned {
	sent: Sent;
	idempotencyKey?: string;
	/** Sent again (the same request) right after. */
	retried: boolean;
}

const scenario = fc.record({
	requests: fc.array(
		fc.record({
			sent: fc.oneof(logs, errors, traces, llm, drain, webVitals, webEvents, otlpTraces, otlpLogs),
			// A small pool: two different requests may share a key (then they differ in body or route).
			idempotencyKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
			retried: fc.boolean(),
		}),
		{ minLength: 1, maxLength: 4 },
	),
	collidingRequestIds: fc.boolean(),
});

/** Routes whose redeliveries (the same body, no Idempotency-Key) are one request. */
const REDELIVERED = new Set(["/ingest/drain", "/v1/traces", "/v1/logs"]);
const bytesOf = (b: string | Uint8Array) => (typeof b === "string" ? new TextEncoder().encode(b) : b);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function matches(stored: Row, expected: Expected): boolean {
	for (const [column, want] of Object.entries(expected)) {
		const got = stored[column];
		if (want === RECEIVED) {
			if (got !== stored.received_at) return false;
		} else if (typeof want === "object") {
			const parsed = JSON.parse(String(got)) as Record<string, unknown>;
			for (const [k, v] of Object.entries(want.subset))
				if (JSON.stringify(parsed[k]) !== JSON.stringify(v)) return false;
		} else if (got !== want) return false;
	}
	return true;
}

async function send(k: TestKey, p: Planned, requestId: string) {
	const headers: Record<string, string> = {
		authorization: `Bearer ${k.key}`,
		"content-type": p.sent.contentType,
		"x-request-id": requestId,
	};
	if (p.idempotencyKey) headers["idempotency-key"] = p.idempotencyKey;
	return call(p.sent.path, { method: "POST", headers, body: p.sent.body });
}

describe("every 200 is stored: a property over every ingest route", () => {
	it(`holds for ${RUNS} seeded scenarios (seed ${SEED})`, async () => {
		await fc.assert(
			fc.asyncProperty(scenario, async ({ requests, collidingRequestIds }) => {
				const k = await createKey({ rateLimit: 1_000_000 });
				const expected = Object.fromEntries(EVENT_TABLES.map((t) => [t, []])) as unknown as Record<Table, Expected[]>;
				const stored: { path: string; key: string; body: Uint8Array }[] = [];
				for (const [i, p] of requests.entries()) {
					const requestId = collidingRequestIds ? "the-same-request-id" : `r-${i}`;
					for (let attempt = 0; attempt < (p.retried ? 2 : 1); attempt++) {
						const res = await send(k, p, requestId);
						const text = p.sent.contentType === "application/x-protobuf" ? "" : await res.text();
						expect(res.status, `${p.sent.path}: ${text}`).toBe(200);
						// A retry of the same idempotent request (same route, key and body) stores nothing more, and so
						// does a redelivery of the same body to a drain or OTLP route without a key.
						const body = bytesOf(p.sent.body);
						const identity = p.idempotencyKey ?? (REDELIVERED.has(p.sent.path) ? "(body)" : undefined);
						const repeat =
							identity !== undefined &&
							stored.some((s) => s.path === p.sent.path && s.key === identity && same(s.body, body));
						if (repeat) continue;
						if (identity) stored.push({ path: p.sent.path, key: identity, body });
						const response = text === "" ? {} : (JSON.parse(text) as Row);
						expected[p.sent.table].push(...p.sent.rows(response));
					}
				}
				for (const table of Object.keys(expected) as Table[]) {
					const rows = await storedRows(table, k.projectId);
					const unused = [...rows];
					for (const want of expected[table]) {
						const at = unused.findIndex((r) => matches(r, want));
						expect(
							at,
							`${table}: no stored row matches ${JSON.stringify(want)}; stored: ${JSON.stringify(unused)}`,
						).not.toBe(-1);
						unused.splice(at, 1);
					}
					expect(unused, `${table}: rows stored that no 200 acknowledged`).toEqual([]);
					for (const r of rows) expect([r.project_id, r.api_key_id]).toEqual([k.projectId, k.id]);
				}
			}),
			{ numRuns: RUNS, seed: SEED, endOnFailure: true },
		);
	}, 600_000);
});
