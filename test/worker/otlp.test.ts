import { context as otelContext, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import {
	JsonLogsSerializer,
	JsonTraceSerializer,
	ProtobufLogsSerializer,
	ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import {
	BasicTracerProvider,
	InMemorySpanExporter,
	type ReadableSpan,
	SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { beforeAll, describe, expect, it } from "vitest";
import { Reader } from "../../src/otlp/protobuf.ts";
import { gzip } from "../support/encode.ts";
import { call, createKey, storedRows } from "./helpers.ts";

// OTLP/HTTP through the worker: requests serialized by the OpenTelemetry JS SDK's own OTLP serializers
// (what its exporters send), from spans and log records the SDK produced. The exporters themselves,
// over HTTP, are exercised on Node in test/dev/otel.test.ts.

const PROTOBUF = "application/x-protobuf";
const T0 = Date.UTC(2026, 1, 23, 12, 0, 0, 0);
/**
 * Times for the SDK as [seconds, nanoseconds]. A number would be read by the SDK's span as a performance.now()
 * reading whenever it is not later than performance.now(), which in workerd counts from the epoch: a past time then
 * gets a sub-millisecond clock offset added, and the stored start moved a millisecond now and then.
 */
const at = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

const RESOURCE = {
	"service.name": "checkout",
	"service.version": "1.4.2",
	"deployment.environment.name": "staging",
	"host.name": "web-1",
};

function makeSpans(): ReadableSpan[] {
	const exporter = new InMemorySpanExporter();
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes(RESOURCE),
		spanProcessors: [new SimpleSpanProcessor(exporter)],
	});
	const tracer = provider.getTracer("checkout-http", "0.9.0");
	const root = tracer.startSpan("GET /api/cart", {
		kind: 1, // SERVER
		startTime: at(T0),
		attributes: { "http.request.method": "GET", "http.response.status_code": 200, "app.flags": ["a", "b"] },
	});
	const parent = { ...root.spanContext(), isRemote: false };
	// A child failing span, and a GenAI client span, with explicit parents.
	const child = tracer.startSpan(
		"db.query",
		{ kind: 2, startTime: at(T0 + 10), attributes: { "db.system": "postgresql" } },
		contextWith(parent),
	);
	child.setStatus({ code: 2, message: "connection reset" });
	child.end(at(T0 + 35.6));
	const llm = tracer.startSpan(
		"chat gpt-4o",
		{
			kind: 2,
			startTime: at(T0 + 40),
			attributes: {
				"gen_ai.operation.name": "chat",
				"gen_ai.system": "openai",
				"gen_ai.request.model": "gpt-4o",
				"gen_ai.response.model": "gpt-4o-2024-08-06",
				"gen_ai.usage.input_tokens": 1250,
				"gen_ai.usage.output_tokens": 340,
			},
		},
		contextWith(parent),
	);
	llm.end(at(T0 + 2140));
	root.end(at(T0 + 2145));
	return exporter.getFinishedSpans();
}

/** A context carrying a parent span context (no context manager needed). */
function contextWith(parent: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean }) {
	return trace.setSpanContext(otelContext.active(), parent);
}

async function makeLogs() {
	const exporter = new InMemoryLogRecordExporter();
	const provider = new LoggerProvider({
		resource: resourceFromAttributes(RESOURCE),
		processors: [new SimpleLogRecordProcessor({ exporter })],
	});
	const logger = provider.getLogger("checkout-logger", "2.0.0");
	logger.emit({
		severityNumber: SeverityNumber.INFO,
		severityText: "INFO",
		body: "order placed",
		timestamp: T0,
		attributes: { "order.id": "ord_456", amount: 12.5 },
	});
	logger.emit({ severityNumber: SeverityNumber.TRACE2, body: { nested: [1, 2] }, timestamp: T0 + 1 });
	logger.emit({ severityNumber: SeverityNumber.WARN, body: "low stock", timestamp: T0 + 2 });
	logger.emit({
		severityNumber: SeverityNumber.FATAL,
		body: "payment down",
		timestamp: T0 + 3,
		context: contextWith({
			traceId: "5b8efff798038103d269b633813fc60c",
			spanId: "eee19b7ec3c1b174",
			traceFlags: 1,
			isRemote: false,
		}),
	});
	logger.emit({ severityText: "Warning", body: "text-only severity", timestamp: T0 + 4 });
	await provider.forceFlush();
	return exporter.getFinishedLogRecords();
}

function post(path: string, key: string, body: BodyInit, headers: Record<string, string>) {
	return call(path, { method: "POST", headers: { authorization: `Bearer ${key}`, ...headers }, body });
}

const byOperation = (a: Record<string, unknown>, b: Record<string, unknown>) =>
	String(a.operation) < String(b.operation) ? -1 : 1;

describe("POST /v1/traces", () => {
	let spans: ReadableSpan[];
	beforeAll(() => {
		spans = makeSpans();
	});

	for (const encoding of ["protobuf", "json", "protobuf+gzip"] as const) {
		it(`stores SDK spans sent as ${encoding}`, async () => {
			const k = await createKey();
			const serializer = encoding === "json" ? JsonTraceSerializer : ProtobufTraceSerializer;
			let body = serializer.serializeRequest(spans) as Uint8Array;
			const headers: Record<string, string> = {
				"content-type": encoding === "json" ? "application/json" : PROTOBUF,
			};
			if (encoding === "protobuf+gzip") {
				body = await gzip(body);
				headers["content-encoding"] = "gzip";
			}
			const res = await post("/v1/traces", k.key, body as Uint8Array<ArrayBuffer>, headers);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toContain(encoding === "json" ? "application/json" : PROTOBUF);
			expect(res.headers.get("x-ratelimit-limit")).toBe("5000");
			const answer = new Uint8Array(await res.arrayBuffer());
			expect(serializer.deserializeResponse(answer)).toEqual({});

			const root = spans.find((s) => s.name === "GET /api/cart") as ReadableSpan;
			const traceId = root.spanContext().traceId;
			const rows = (await storedRows("spans", k.projectId)).sort(byOperation);
			expect(rows).toHaveLength(3);
			const common = {
				project_id: k.projectId,
				api_key_id: k.id,
				service: "checkout",
				environment: "staging",
				release: "1.4.2",
				trace_id: traceId,
			};
			expect(rows[0]).toMatchObject({
				...common,
				operation: "GET /api/cart",
				span_id: root.spanContext().spanId,
				parent_span_id: "",
				start_time: "2026-02-23 12:00:00.000",
				duration_ms: 2145,
				status: "ok",
			});
			expect(JSON.parse(String(rows[0]?.metadata))).toEqual({
				...RESOURCE,
				"http.request.method": "GET",
				"http.response.status_code": 200,
				"app.flags": ["a", "b"],
				"span.kind": "server",
				"otel.scope.name": "checkout-http",
				"otel.scope.version": "0.9.0",
			});
			expect(rows[1]).toMatchObject({
				...common,
				operation: "chat gpt-4o",
				parent_span_id: root.spanContext().spanId,
				start_time: "2026-02-23 12:00:00.040",
				duration_ms: 2100,
				status: "ok",
			});
			expect(rows[2]).toMatchObject({
				...common,
				operation: "db.query",
				parent_span_id: root.spanContext().spanId,
				start_time: "2026-02-23 12:00:00.010",
				duration_ms: 26, // 25.6 ms, rounded
				status: "error",
			});
			const dbMeta = JSON.parse(String(rows[2]?.metadata));
			expect(dbMeta).toMatchObject({
				"db.system": "postgresql",
				"span.kind": "client",
				"otel.status_description": "connection reset",
			});
			for (const row of rows) {
				expect(row.span_id).toMatch(/^[0-9a-f]{16}$/);
				expect(row.trace_id).toMatch(/^[0-9a-f]{32}$/);
			}

			const llm = spans.find((s) => s.name === "chat gpt-4o") as ReadableSpan;
			expect(await storedRows("llm_usage", k.projectId)).toEqual([
				expect.objectContaining({
					project_id: k.projectId,
					api_key_id: k.id,
					service: "checkout",
					environment: "staging",
					release: "1.4.2",
					model: "gpt-4o-2024-08-06",
					provider: "openai",
					operation: "chat",
					input_tokens: 1250,
					output_tokens: 340,
					// Priced at the edge: 1,250 × $2.50 + 340 × $10 per 1M tokens.
					cost_usd: expect.closeTo(0.006525, 12),
					cost_source: "inferred",
					price_version: expect.stringMatching(/^\d+$/),
					latency_ms: 2100,
					metadata: JSON.stringify({ trace_id: traceId, span_id: llm.spanContext().spanId }),
				}),
			]);
		});
	}

	it("answers partial_success for the spans it rejects (OTLP's own rules), clipping the rest, in the request's encoding", async () => {
		const k = await createKey();
		const good = {
			traceId: "5B8EFFF798038103D269B633813FC60C",
			spanId: "EEE19B7EC3C1B174",
			name: "ok",
			startTimeUnixNano: String(BigInt(T0) * 1_000_000n),
			endTimeUnixNano: (BigInt(T0) * 1_000_000n + 1_500_000n).toString(),
			kind: 2,
		};
		const request = {
			resourceSpans: [
				{
					resource: { attributes: [{ key: "service.name", value: { stringValue: "api" } }] },
					scopeSpans: [
						{
							spans: [
								good,
								{ ...good, spanId: "abcd" }, // 2 bytes
								{ ...good, traceId: "zz" }, // not hex
								{ ...good, spanId: "EEE19B7EC3C1B175", name: "x".repeat(300) }, // clipped at 256, kept
								{ ...good, endTimeUnixNano: "1" }, // ends before it starts
							],
						},
					],
				},
			],
		};
		const res = await post("/v1/traces", k.key, JSON.stringify(request), { "content-type": "application/json" });
		expect(res.status).toBe(200);
		const json = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
		expect(json.partialSuccess.rejectedSpans).toBe("3");
		expect(json.partialSuccess.errorMessage).toContain("span_id must be 8 bytes");
		expect(json.partialSuccess.errorMessage).toContain("trace_id is not hex");
		expect(json.partialSuccess.errorMessage).toContain("end_time_unix_nano");
		const rows = (await storedRows("spans", k.projectId)).sort(byOperation);
		const common = {
			trace_id: "5b8efff798038103d269b633813fc60c",
			service: "api",
			environment: "production",
			release: "",
			duration_ms: 2, // 1.5 ms, half away from zero
			start_time: "2026-02-23 12:00:00.000",
		};
		expect(rows).toEqual([
			expect.objectContaining({ ...common, span_id: "eee19b7ec3c1b174", operation: "ok", truncated: [] }),
			expect.objectContaining({
				...common,
				span_id: "eee19b7ec3c1b175",
				operation: "x".repeat(256),
				truncated: ["operation"],
			}),
		]);

		// Protobuf: a span with a 2-byte id, from the SDK's own serializer.
		const [span] = makeSpans();
		const bad = { ...span, spanContext: () => ({ ...span?.spanContext(), spanId: "abcd" }) } as ReadableSpan;
		const body = ProtobufTraceSerializer.serializeRequest([span as ReadableSpan, bad]) as Uint8Array<ArrayBuffer>;
		const proto = await post("/v1/traces", k.key, body, { "content-type": PROTOBUF });
		expect(proto.status).toBe(200);
		expect(proto.headers.get("content-type")).toBe(PROTOBUF);
		const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await proto.arrayBuffer()));
		expect(decoded.partialSuccess).toEqual({ rejectedSpans: 1, errorMessage: "1 rejected: span_id must be 8 bytes" });
		expect(await storedRows("spans", k.projectId)).toHaveLength(3);
	});

	it("refuses malformed requests with 400 and a google.rpc.Status in the request's encoding", async () => {
		const k = await createKey();
		const good = ProtobufTraceSerializer.serializeRequest(makeSpans()) as Uint8Array;
		const cases: [string, Uint8Array<ArrayBuffer>][] = [
			["truncated", good.slice(0, good.length - 7) as Uint8Array<ArrayBuffer>],
			["wrong wire type", Uint8Array.from([0x08, 0x01])], // field 1 as a varint
			["bad wire type 7", Uint8Array.from([0x0f])],
			["length past the end", Uint8Array.from([0x0a, 0x7f, 0x00])],
			["field number 0", Uint8Array.from([0x02, 0x00])],
		];
		for (const [what, body] of cases) {
			const res = await post("/v1/traces", k.key, body, { "content-type": PROTOBUF });
			expect(res.status, what).toBe(400);
			expect(res.headers.get("content-type")).toBe(PROTOBUF);
			// google.rpc.Status { code = 1 (3: INVALID_ARGUMENT), message = 2 }
			const status = { code: 0, message: "" };
			const r = new Reader(new Uint8Array(await res.arrayBuffer()));
			r.fields((n) => {
				if (n === 1) status.code = r.uint32();
				else if (n === 2) status.message = r.string();
				else return false;
				return true;
			});
			expect(status.code).toBe(3);
			expect(status.message).toMatch(/^Malformed protobuf: /);
		}
		for (const body of ["{", "[]", '{"resourceSpans": 5}', '{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}']) {
			const res = await post("/v1/traces", k.key, body, { "content-type": "application/json" });
			expect(res.status, body).toBe(400);
			const json = (await res.json()) as { code: number; message: string };
			expect(json.code).toBe(3);
			expect(json.message.length).toBeGreaterThan(0);
		}
		const notGzip = await post("/v1/traces", k.key, good as Uint8Array<ArrayBuffer>, {
			"content-type": PROTOBUF,
			"content-encoding": "gzip",
		});
		expect(notGzip.status).toBe(400);
		expect(await storedRows("spans", k.projectId)).toEqual([]);
	});

	it("an empty export is a success that stores nothing", async () => {
		const k = await createKey();
		const res = await post("/v1/traces", k.key, new Uint8Array(0), { "content-type": PROTOBUF });
		expect(res.status).toBe(200);
		expect((await res.arrayBuffer()).byteLength).toBe(0);
		const json = await post("/v1/traces", k.key, "{}", { "content-type": "application/json" });
		expect(await json.json()).toEqual({});
	});

	it("keeps the ingest chain: key, content type, size, origin, preflight", async () => {
		const k = await createKey({ origins: ["https://app.example.com"] });
		const body = ProtobufTraceSerializer.serializeRequest(makeSpans()) as Uint8Array<ArrayBuffer>;
		const none = await call("/v1/traces", { method: "POST", headers: { "content-type": PROTOBUF }, body });
		expect(none.status).toBe(401);
		// A protobuf request gets its error as a protobuf google.rpc.Status (test/worker/otlp-wire.test.ts).
		expect(none.headers.get("content-type")).toBe(PROTOBUF);
		expect((await post("/v1/logs", k.key, "x", { "content-type": "application/xml" })).status).toBe(415);
		expect((await post("/v1/logs", k.key, body, { "content-type": PROTOBUF, "content-encoding": "br" })).status).toBe(
			415,
		);
		const origin = await post("/v1/traces", k.key, body, { "content-type": PROTOBUF, origin: "https://evil.test" });
		expect(origin.status).toBe(403);
		const big = await post("/v1/traces", k.key, body, { "content-type": PROTOBUF, "content-length": "6000000" });
		expect(big.status).toBe(413);
		const preflight = await call("/v1/traces", { method: "OPTIONS", headers: { origin: "https://evil.test" } });
		expect(preflight.status).toBe(204);
	});

	it("answers 429 with Retry-After past the key's rate limit", async () => {
		const k = await createKey({ rateLimit: 1 });
		const body = "{}";
		expect((await post("/v1/traces", k.key, body, { "content-type": "application/json" })).status).toBe(200);
		const res = await post("/v1/traces", k.key, body, { "content-type": "application/json" });
		expect(res.status).toBe(429);
		expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
	});
});

describe("POST /v1/logs", () => {
	for (const encoding of ["protobuf", "json+gzip"] as const) {
		it(`stores SDK log records sent as ${encoding}`, async () => {
			const k = await createKey();
			const records = await makeLogs();
			const serializer = encoding === "protobuf" ? ProtobufLogsSerializer : JsonLogsSerializer;
			let body = serializer.serializeRequest(records) as Uint8Array;
			const headers: Record<string, string> = {
				"content-type": encoding === "protobuf" ? PROTOBUF : "application/json",
			};
			if (encoding === "json+gzip") {
				body = await gzip(body);
				headers["content-encoding"] = "gzip";
			}
			const res = await post("/v1/logs", k.key, body as Uint8Array<ArrayBuffer>, headers);
			expect(res.status).toBe(200);
			expect(serializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({});

			const rows = (await storedRows("logs", k.projectId)).sort((a, b) =>
				String(a.timestamp).localeCompare(String(b.timestamp)),
			);
			const common = {
				project_id: k.projectId,
				api_key_id: k.id,
				service: "checkout",
				environment: "staging",
				release: "1.4.2",
				context: "checkout-logger",
				request_id: "",
				vercel_id: "",
			};
			expect(rows).toEqual([
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.000",
					level: "info",
					message: "order placed",
					trace_id: "",
					span_id: "",
				}),
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.001",
					level: "debug",
					message: JSON.stringify({ nested: [1, 2] }),
				}),
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.002",
					level: "warn",
					message: "low stock",
				}),
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.003",
					level: "error",
					message: "payment down",
					trace_id: "5b8efff798038103d269b633813fc60c",
					span_id: "eee19b7ec3c1b174",
				}),
				expect.objectContaining({ ...common, level: "warn", message: "text-only severity" }),
			]);
			expect(JSON.parse(String(rows[0]?.metadata))).toMatchObject({
				...RESOURCE,
				"order.id": "ord_456",
				amount: 12.5,
				"otel.severity_text": "INFO",
				"otel.scope.version": "2.0.0",
			});
		});
	}

	it("falls back to observed time, then to the time received; rejects records with bad ids, reduces big metadata", async () => {
		const k = await createKey();
		const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
		const request = {
			resourceLogs: [
				{
					scopeLogs: [
						{
							logRecords: [
								{ observedTimeUnixNano: ns(T0 + 5), body: { stringValue: "observed" }, severityNumber: 10 },
								{ body: { intValue: "42" }, severityNumber: "SEVERITY_NUMBER_ERROR" },
								{ body: { stringValue: "bad trace" }, traceId: "abcd" },
								{ body: { stringValue: "big" }, timeUnixNano: ns(T0), attributes: bigAttributes() },
							],
						},
					],
				},
			],
		};
		const before = Date.now();
		const res = await post("/v1/logs", k.key, JSON.stringify(request), { "content-type": "application/json" });
		expect(res.status).toBe(200);
		const json = (await res.json()) as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
		expect(json.partialSuccess.rejectedLogRecords).toBe("1");
		expect(json.partialSuccess.errorMessage).toContain("trace_id must be 16 bytes");
		const rows = (await storedRows("logs", k.projectId)).sort((a, b) =>
			String(a.message).localeCompare(String(b.message)),
		);
		expect(rows).toHaveLength(3);
		expect(rows[0]).toMatchObject({ message: "42", level: "error", service: "unknown", context: "" });
		expect(rows[0]?.timestamp).toBe(rows[0]?.received_at);
		expect(Date.parse(`${String(rows[0]?.received_at).replace(" ", "T")}Z`)).toBeGreaterThanOrEqual(before - 1000);
		// 70 KB of attributes: the biggest value becomes the marker, the record is kept and says so.
		expect(rows[1]).toMatchObject({ message: "big", truncated: ["metadata"] });
		expect(JSON.parse(String(rows[1]?.metadata))).toEqual({ blob: "[truncated]" });
		expect(rows[2]).toMatchObject({ message: "observed", level: "info", timestamp: "2026-02-23 12:00:00.005" });
	});
});

function bigAttributes() {
	return [{ key: "blob", value: { stringValue: "x".repeat(70 * 1024) } }];
}
