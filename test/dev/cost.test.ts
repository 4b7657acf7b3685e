import { describe } from "vitest";
import { silenceConsole } from "../../bench/harness.ts";
import { drainBody } from "../../bench/payloads.ts";
import { LIMITS } from "../../src/ingest/limits.ts";
import { logsProtobuf, tracesProtobuf, type Value, type WireSpan } from "../fixtures/otlp-wire.ts";
import { type Case, linearCases } from "./linear-cost.ts";

// The JSON and OTLP routes: a worst-case shape per route, and the shapes past our bounds (linear-cost.ts says how).

const t0 = BigInt(Date.UTC(2026, 11, 1)) * 1_000_000n;
const wideResource = (n: number) => {
	const r: Record<string, Value> = { "service.name": "cost" };
	for (let i = 0; i < 3 * n; i++) r[`resource.attribute.${i}`] = `value-${i}`;
	return r;
};
const spans = (n: number): WireSpan[] =>
	Array.from({ length: n }, (_, i) => ({
		traceId: "0af7651916cd43dd8448eb211c80319c",
		spanId: (i + 1).toString(16).padStart(16, "0"),
		name: "GET /api",
		start: t0,
		end: t0 + 1_000_000n,
		attributes: { "http.route": "/api", i },
	}));
const kv = (attrs: Record<string, Value>) =>
	Object.entries(attrs).map(([key, value]) => ({
		key,
		value: typeof value === "string" ? { stringValue: value } : { intValue: String(value) },
	}));
const wideMetadata = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key_${i}`, `v${i}`]));

const CASES: Case[] = [
	{
		route: "/ingest/logs",
		contentType: "application/json",
		n: 100,
		body: (n) =>
			JSON.stringify({
				logs: Array.from({ length: n }, (_, i) => ({
					level: "info",
					message: `message ${i}`,
					timestamp: "2026-12-01T10:00:00.000Z",
					metadata: wideMetadata(10),
				})),
			}),
	},
	{
		route: "/ingest/errors",
		contentType: "application/json",
		n: 400,
		body: (n, variant) =>
			JSON.stringify({
				error_message: `TypeError: boom ${variant}`,
				stack_trace: `TypeError: boom\n${Array.from({ length: n }, (_, i) => `    at fn${variant}_${i} (/app/src/file${i}.ts:${i}:2)`).join("\n")}`,
			}),
	},
	{
		route: "/ingest/traces",
		contentType: "application/json",
		n: 250,
		body: (n) =>
			JSON.stringify({
				trace_id: "t",
				span_id: "s",
				operation: "op",
				start_time: "2026-12-01T10:00:00.000Z",
				duration_ms: 1,
				metadata: wideMetadata(n),
			}),
	},
	{
		route: "/ingest/llm",
		contentType: "application/json",
		n: 250,
		body: (n) =>
			JSON.stringify({
				model: "m",
				provider: "p",
				operation: "o",
				input_tokens: 1,
				output_tokens: 1,
				latency_ms: 1,
				metadata: wideMetadata(n),
			}),
	},
	{ route: "/ingest/drain", contentType: "application/json", n: 64 * 1024, body: (n) => drainBody(n) },
	// Past our bounds (clipped, never refused): the work of clipping and reducing, per byte, must not grow with the size.
	{
		shape: "metadata past 64 KiB, reduced",
		route: "/ingest/logs",
		contentType: "application/json",
		n: 1500,
		body: (n) =>
			JSON.stringify({
				logs: [
					{
						level: "info",
						message: "m".repeat(300 * 1024),
						metadata: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v".repeat(40 + (i % 50))])),
					},
				],
			}),
	},
	{
		shape: "breadcrumbs past 100, each past 8 KiB, deep context",
		route: "/ingest/errors",
		contentType: "application/json",
		n: 60,
		body: (n, variant) => {
			let deep: unknown = { leaf: "x" };
			for (let i = 0; i < n; i++) deep = { [`level${i}`]: deep, sibling: "s".repeat(200) };
			return JSON.stringify({
				error_message: `TypeError: boom ${variant}`,
				stack_trace: "TypeError: boom\n    at f (/app/a.ts:1:2)",
				context: deep,
				breadcrumbs: Array.from({ length: n }, (_, i) => ({
					type: "log",
					message: `[info] ${i} ${"b".repeat(8300)}`,
					timestamp: "2026-12-01T10:00:00.000Z",
				})),
			});
		},
	},
	{
		shape: "entries past every bound",
		route: "/ingest/drain",
		contentType: "application/json",
		n: 1,
		body: (n) =>
			JSON.stringify(
				Array.from({ length: n }, (_, i) => ({
					id: `e${i}`,
					timestamp: 1e15,
					message: "m".repeat(LIMITS.logMessage + 2048),
					projectName: "p".repeat(1000),
					payload: "x".repeat(LIMITS.objectBytes + 1000),
				})),
			),
	},
	{
		route: "/v1/traces",
		contentType: "application/x-protobuf",
		n: 250,
		body: (n) => tracesProtobuf([{ resource: wideResource(n), scopes: [{ name: "s", items: spans(n) }] }]),
	},
	{
		route: "/v1/traces",
		contentType: "application/json",
		n: 150,
		body: (n) =>
			JSON.stringify({
				resourceSpans: [
					{
						resource: { attributes: kv(wideResource(n)) },
						scopeSpans: [
							{
								scope: { name: "s" },
								spans: spans(n).map((s) => ({
									traceId: s.traceId,
									spanId: s.spanId,
									name: s.name,
									startTimeUnixNano: String(s.start),
									endTimeUnixNano: String(s.end),
									attributes: kv(s.attributes ?? {}),
								})),
							},
						],
					},
				],
			}),
	},
	{
		route: "/v1/logs",
		contentType: "application/x-protobuf",
		n: 250,
		body: (n) =>
			logsProtobuf([
				{
					resource: wideResource(n),
					scopes: [
						{
							name: "s",
							items: Array.from({ length: n }, (_, i) => ({ time: t0, body: `log ${i}`, attributes: { i } })),
						},
					],
				},
			]),
	},
];

describe("a request's CPU grows at most linearly in its size", () => {
	silenceConsole();
	linearCases(CASES);
});
