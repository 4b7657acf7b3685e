import type { EventTable } from "../../src/ports.ts";
import { logsProtobuf, tracesProtobuf } from "../fixtures/otlp-wire.ts";
import { build, lambda } from "../fixtures/vercel.ts";

// Every data endpoint as a sender reaches it: path, content type, a valid body (`n` varies it), the table its rows go
// to and how many. The shared suite (shared-suite.test.ts) runs the gate's behaviour over each.

export interface Endpoint {
	name: string;
	path: string;
	contentType: string;
	/** A valid body; bodies for different `n` differ (a redelivery is the same n). */
	body(n: number): string | Uint8Array<ArrayBuffer>;
	table: EventTable;
	rows: number;
	/** Errors come back as a google.rpc.Status in protobuf (OTLP/HTTP), not as the documented JSON. */
	protobuf: boolean;
	/** The same body delivered again is one request (drains, OTLP exporters), without an Idempotency-Key. */
	redelivered: boolean;
}

const json = (v: unknown) => JSON.stringify(v);
const hex = (n: number, bytes: number) =>
	n
		.toString(16)
		.padStart(bytes * 2, "0")
		.slice(-bytes * 2);
const T = 1_780_000_000_000;
const span = (n: number) => ({
	traceId: hex(n + 1, 16),
	spanId: hex(n + 1, 8),
	name: `GET /api/${n}`,
	start: BigInt(T + n) * 1_000_000n,
	end: BigInt(T + n + 5) * 1_000_000n,
});
const resource = { "service.name": "web" };

export const ENDPOINTS: Endpoint[] = [
	{
		name: "logs",
		path: "/ingest/logs",
		contentType: "application/json",
		body: (n) => json({ logs: [{ level: "info", message: `hello ${n}` }] }),
		table: "logs",
		rows: 1,
		protobuf: false,
		redelivered: false,
	},
	{
		name: "errors",
		path: "/ingest/errors",
		contentType: "application/json",
		body: (n) => json({ error_message: `boom ${n}`, stack_trace: "Error: boom\n    at f (/app/a.js:1:1)" }),
		table: "errors",
		rows: 1,
		protobuf: false,
		redelivered: false,
	},
	{
		name: "traces",
		path: "/ingest/traces",
		contentType: "application/json",
		body: (n) =>
			json({
				trace_id: "t",
				span_id: `s${n}`,
				operation: "op",
				start_time: "2026-02-23T00:00:00.000Z",
				duration_ms: n,
			}),
		table: "spans",
		rows: 1,
		protobuf: false,
		redelivered: false,
	},
	{
		name: "llm",
		path: "/ingest/llm",
		contentType: "application/json",
		body: (n) => json({ model: "m", provider: "p", operation: "o", input_tokens: n, output_tokens: 1, latency_ms: 1 }),
		table: "llm_usage",
		rows: 1,
		protobuf: false,
		redelivered: false,
	},
	{
		name: "drain (JSON)",
		path: "/ingest/drain",
		contentType: "application/json",
		body: (n) => json([{ ...lambda, id: `j${n}` }, build]),
		table: "logs",
		rows: 2,
		protobuf: false,
		redelivered: true,
	},
	{
		name: "drain (NDJSON)",
		path: "/ingest/drain",
		contentType: "application/x-ndjson",
		body: (n) => `${json({ ...lambda, id: `n${n}` })}\n${json(build)}\n`,
		table: "logs",
		rows: 2,
		protobuf: false,
		redelivered: true,
	},
	{
		name: "/v1/traces (JSON)",
		path: "/v1/traces",
		contentType: "application/json",
		body: (n) => {
			const s = span(n);
			const spans = [
				{ ...s, start: undefined, end: undefined, startTimeUnixNano: String(s.start), endTimeUnixNano: String(s.end) },
			];
			const attributes = [{ key: "service.name", value: { stringValue: "web" } }];
			return json({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ spans }] }] });
		},
		table: "spans",
		rows: 1,
		protobuf: false,
		redelivered: true,
	},
	{
		name: "/v1/traces (protobuf)",
		path: "/v1/traces",
		contentType: "application/x-protobuf",
		body: (n) => tracesProtobuf([{ resource, scopes: [{ items: [span(n)] }] }]),
		table: "spans",
		rows: 1,
		protobuf: true,
		redelivered: true,
	},
	{
		name: "/v1/logs (JSON)",
		path: "/v1/logs",
		contentType: "application/json",
		body: (n) =>
			json({
				resourceLogs: [
					{
						resource: { attributes: [{ key: "service.name", value: { stringValue: "web" } }] },
						scopeLogs: [
							{ logRecords: [{ timeUnixNano: String(BigInt(T + n) * 1_000_000n), body: { stringValue: `l${n}` } }] },
						],
					},
				],
			}),
		table: "logs",
		rows: 1,
		protobuf: false,
		redelivered: true,
	},
	{
		name: "/v1/logs (protobuf)",
		path: "/v1/logs",
		contentType: "application/x-protobuf",
		body: (n) =>
			logsProtobuf([{ resource, scopes: [{ items: [{ time: BigInt(T + n) * 1_000_000n, body: `l${n}` }] }] }]),
		table: "logs",
		rows: 1,
		protobuf: true,
		redelivered: true,
	},
];
