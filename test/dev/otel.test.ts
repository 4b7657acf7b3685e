import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import { context, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import {
	BasicTracerProvider,
	InMemorySpanExporter,
	SimpleSpanProcessor,
	type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_dev } from "wrangler";
import { createApiKey } from "../../dev/keys.ts";
import { migrateAll } from "../../dev/migrate.ts";
import { freePorts, type Stack, startStack } from "../../dev/stack/stack.ts";

// The unmodified OpenTelemetry JS exporters (OTLP/HTTP JSON and protobuf, traces and logs, plain and gzip)
// on Node, exporting through the worker (wrangler dev) into a local stack of real engines.

const T0 = Date.UTC(2026, 1, 23, 12, 0, 0, 0);
const RESOURCE = {
	"service.name": "otel-node",
	"service.version": "3.1.0",
	"deployment.environment": "preview",
};

let dataDir: string;
let stack: Stack;
let worker: Awaited<ReturnType<typeof unstable_dev>>;
let base: string;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "deeptracer-otel-"));
	stack = await startStack({ dataDir, persistent: false, ports: await freePorts(), redisToken: "otel-test" });
	await migrateAll(stack.env);
	worker = await unstable_dev("src/index.ts", {
		config: "wrangler.toml",
		vars: stack.env,
		envFiles: [],
		ip: "127.0.0.1",
		logLevel: "error",
		experimental: { disableExperimentalWarning: true },
	});
	base = `http://${worker.address}:${worker.port}`;
}, 180_000);

afterAll(async () => {
	await worker?.stop();
	await stack?.close();
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function newKey(): Promise<{ key: string; projectId: string; id: string }> {
	const db = new pg.Client({ connectionString: stack.env.DATABASE_URL });
	await db.connect();
	try {
		return await createApiKey(db, { project: `otel-${crypto.randomUUID()}` });
	} finally {
		await db.end();
	}
}

async function rows(table: string, projectId: string): Promise<Record<string, unknown>[]> {
	const client = createClient({
		url: stack.env.CLICKHOUSE_URL,
		username: stack.env.CLICKHOUSE_USER,
		password: stack.env.CLICKHOUSE_PASSWORD,
		database: stack.env.CLICKHOUSE_DATABASE,
	});
	try {
		const result = await client.query({
			query: `SELECT * FROM ${table} WHERE project_id = {project:UUID} ORDER BY start_time_or_ts, received_at`.replace(
				"start_time_or_ts",
				table === "spans" ? "start_time" : table === "logs" ? "timestamp" : "received_at",
			),
			query_params: { project: projectId },
			format: "JSONEachRow",
			clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
		});
		return (await result.json()) as Record<string, unknown>[];
	} finally {
		await client.close();
	}
}

/** Traces through a real provider and span processor; `?wait=true` makes the worker answer once rows are stored. */
async function exportSpans(exporter: SpanExporter) {
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes(RESOURCE),
		spanProcessors: [new SimpleSpanProcessor(exporter)],
	});
	const tracer = provider.getTracer("node-http", "1.0.0");
	const root = tracer.startSpan("POST /chat", { kind: 1, startTime: T0, attributes: { "http.route": "/chat" } });
	const parent = trace.setSpanContext(context.active(), root.spanContext());
	const llm = tracer.startSpan(
		"chat claude",
		{
			kind: 2,
			startTime: T0 + 5,
			attributes: {
				"gen_ai.operation.name": "chat",
				"gen_ai.provider.name": "anthropic",
				"gen_ai.request.model": "claude-sonnet-4-5",
				"gen_ai.usage.input_tokens": 900,
				"gen_ai.usage.output_tokens": 120,
			},
		},
		parent,
	);
	llm.end(T0 + 1505);
	const failing = tracer.startSpan("cache.get", { kind: 2, startTime: T0 + 1510 }, parent);
	failing.setStatus({ code: 2, message: "timeout" });
	failing.end(T0 + 1520.4);
	root.end(T0 + 1600);
	await provider.forceFlush();
	await provider.shutdown();
	return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, llmId: llm.spanContext().spanId };
}

async function exportLogs(exporter: LogRecordExporter) {
	const provider = new LoggerProvider({
		resource: resourceFromAttributes(RESOURCE),
		processors: [new SimpleLogRecordProcessor({ exporter })],
	});
	const logger = provider.getLogger("node-logger");
	logger.emit({ severityNumber: SeverityNumber.DEBUG, body: "cache miss", timestamp: T0 });
	logger.emit({ severityNumber: SeverityNumber.INFO2, body: "chat started", timestamp: T0 + 1, attributes: { u: 1 } });
	logger.emit({ severityNumber: SeverityNumber.WARN, body: { slow: true }, timestamp: T0 + 2 });
	logger.emit({ severityNumber: SeverityNumber.ERROR3, severityText: "ERROR", body: "boom", timestamp: T0 + 3 });
	await provider.forceFlush();
	await provider.shutdown();
}

const exporters = [
	{ name: "OTLP/HTTP JSON", Trace: JsonTraceExporter, Log: JsonLogExporter, compression: undefined },
	{ name: "OTLP/HTTP protobuf", Trace: ProtoTraceExporter, Log: ProtoLogExporter, compression: undefined },
	{ name: "OTLP/HTTP protobuf, gzip", Trace: ProtoTraceExporter, Log: ProtoLogExporter, compression: "gzip" },
] as const;

describe("OpenTelemetry SDK exporters → worker → ClickHouse", () => {
	for (const e of exporters) {
		it(`traces and GenAI spans: ${e.name}`, async () => {
			const k = await newKey();
			const exporter = new e.Trace({
				url: `${base}/v1/traces?wait=true`,
				headers: { Authorization: `Bearer ${k.key}` },
				...(e.compression ? { compression: e.compression as never } : {}),
			});
			const ids = await exportSpans(exporter);

			const spans = await rows("spans", k.projectId);
			expect(spans).toHaveLength(3);
			const common = {
				project_id: k.projectId,
				api_key_id: k.id,
				service: "otel-node",
				environment: "preview",
				release: "3.1.0",
				trace_id: ids.traceId,
			};
			expect(spans[0]).toMatchObject({
				...common,
				span_id: ids.rootId,
				parent_span_id: "",
				operation: "POST /chat",
				start_time: "2026-02-23 12:00:00.000",
				duration_ms: 1600,
				status: "ok",
			});
			expect(spans[1]).toMatchObject({
				...common,
				span_id: ids.llmId,
				parent_span_id: ids.rootId,
				operation: "chat claude",
				start_time: "2026-02-23 12:00:00.005",
				duration_ms: 1500,
				status: "ok",
			});
			expect(spans[2]).toMatchObject({
				...common,
				parent_span_id: ids.rootId,
				operation: "cache.get",
				duration_ms: 10,
				status: "error",
			});
			expect(JSON.parse(String(spans[0]?.metadata))).toEqual({
				...RESOURCE,
				"http.route": "/chat",
				"span.kind": "server",
				"otel.scope.name": "node-http",
				"otel.scope.version": "1.0.0",
			});
			expect(JSON.parse(String(spans[2]?.metadata))).toMatchObject({ "otel.status_description": "timeout" });
			for (const s of spans) expect(s.span_id).toMatch(/^[0-9a-f]{16}$/);

			expect(await rows("llm_usage", k.projectId)).toEqual([
				expect.objectContaining({
					...{ project_id: k.projectId, api_key_id: k.id, service: "otel-node", environment: "preview" },
					release: "3.1.0",
					model: "claude-sonnet-4-5",
					provider: "anthropic",
					operation: "chat",
					input_tokens: 900,
					output_tokens: 120,
					// Priced at the edge: 900 × $3 + 120 × $15 per 1M tokens.
					cost_usd: expect.closeTo(0.0045, 12),
					cost_source: "inferred",
					price_version: expect.stringMatching(/^\d+$/),
					latency_ms: 1500,
					metadata: JSON.stringify({ trace_id: ids.traceId, span_id: ids.llmId }),
				}),
			]);
		});

		it(`logs: ${e.name}`, async () => {
			const k = await newKey();
			const exporter = new e.Log({
				url: `${base}/v1/logs?wait=true`,
				headers: { Authorization: `Bearer ${k.key}` },
				...(e.compression ? { compression: e.compression as never } : {}),
			});
			await exportLogs(exporter);
			const logs = await rows("logs", k.projectId);
			const common = {
				project_id: k.projectId,
				api_key_id: k.id,
				service: "otel-node",
				environment: "preview",
				release: "3.1.0",
				context: "node-logger",
			};
			expect(logs).toEqual([
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.000",
					level: "debug",
					message: "cache miss",
				}),
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.001",
					level: "info",
					message: "chat started",
				}),
				expect.objectContaining({
					...common,
					timestamp: "2026-02-23 12:00:00.002",
					level: "warn",
					message: '{"slow":true}',
				}),
				expect.objectContaining({ ...common, timestamp: "2026-02-23 12:00:00.003", level: "error", message: "boom" }),
			]);
			expect(JSON.parse(String(logs[1]?.metadata))).toEqual({ ...RESOURCE, u: 1 });
			expect(JSON.parse(String(logs[3]?.metadata))).toMatchObject({ "otel.severity_text": "ERROR" });
		});
	}

	it("a refused key is a failed export, not a silent success", async () => {
		const memory = new InMemorySpanExporter();
		const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
		provider.getTracer("t").startSpan("s").end();
		const exporter = new ProtoTraceExporter({
			url: `${base}/v1/traces`,
			headers: { Authorization: "Bearer dt_0000000000000000000000000000000000000000" },
		});
		const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
			exporter.export(memory.getFinishedSpans(), resolve),
		);
		expect(result.code).toBe(1); // ExportResultCode.FAILED
		expect((result.error as { code?: number } | undefined)?.code).toBe(401);
	});
});
