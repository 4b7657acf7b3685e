import * as z from "zod/mini";
import "../util/zod-locale.ts";
import {
	type Attributes,
	type AttrValue,
	emptyAttributes,
	type LogRecord,
	type LogsRequest,
	MAX_VALUE_DEPTH,
	type ResourceItems,
	type Scope,
	type Span,
	type TracesRequest,
} from "./model.ts";

// OTLP/JSON (the protobuf JSON mapping with lowerCamelCase keys, hex ids, 64-bit integers as strings or numbers).
// These schemas check the structure (a wrong type is a malformed request) and document it in /openapi.json;
// field values an item cannot be stored with (bad ids, times) reject that item only.
// zod/mini (functional form), like the ingest schemas, so the bundle carries only what is used.

const optional = z.optional;

/** int64 / fixed64: a decimal string or a number. */
const Int64 = z.union([z.string(), z.number()]);
/** Enums are integers in OTLP/JSON; the proto names are accepted too. */
const Enum = z.union([z.number(), z.string()]);

export interface AnyValueJson {
	stringValue?: string | undefined;
	boolValue?: boolean | undefined;
	intValue?: string | number | undefined;
	doubleValue?: number | string | undefined;
	bytesValue?: string | undefined;
	arrayValue?: { values?: AnyValueJson[] | undefined } | undefined;
	kvlistValue?: { values?: KeyValueJson[] | undefined } | undefined;
}
export interface KeyValueJson {
	key?: string | undefined;
	value?: AnyValueJson | undefined;
}

export const OtlpAnyValue: z.ZodMiniType<AnyValueJson> = z.lazy(() =>
	z.object({
		stringValue: optional(z.string()),
		boolValue: optional(z.boolean()),
		intValue: optional(Int64),
		// "NaN", "Infinity", "-Infinity" per the JSON mapping
		doubleValue: optional(z.union([z.number(), z.string()])),
		bytesValue: optional(z.string()),
		arrayValue: optional(z.object({ values: optional(z.array(OtlpAnyValue)) })),
		kvlistValue: optional(z.object({ values: optional(z.array(OtlpKeyValue)) })),
	}),
);

export const OtlpKeyValue: z.ZodMiniType<KeyValueJson> = z.lazy(() =>
	z.object({ key: optional(z.string()), value: optional(OtlpAnyValue) }),
);

const Attrs = optional(z.array(OtlpKeyValue));
const Resource = optional(z.object({ attributes: Attrs }));
const InstrumentationScope = optional(
	z.object({ name: optional(z.string()), version: optional(z.string()), attributes: Attrs }),
);
const HexId = optional(z.string());

export const OtlpSpan = z.object({
	traceId: HexId,
	spanId: HexId,
	parentSpanId: HexId,
	name: optional(z.string()),
	kind: optional(Enum),
	startTimeUnixNano: optional(Int64),
	endTimeUnixNano: optional(Int64),
	attributes: Attrs,
	status: optional(z.object({ message: optional(z.string()), code: optional(Enum) })),
});

export const OtlpLogRecord = z.object({
	timeUnixNano: optional(Int64),
	observedTimeUnixNano: optional(Int64),
	severityNumber: optional(Enum),
	severityText: optional(z.string()),
	body: optional(OtlpAnyValue),
	attributes: Attrs,
	traceId: HexId,
	spanId: HexId,
	eventName: optional(z.string()),
});

export const ExportTraceServiceRequest = z.object({
	resourceSpans: optional(
		z.array(
			z.object({
				resource: Resource,
				scopeSpans: optional(z.array(z.object({ scope: InstrumentationScope, spans: optional(z.array(OtlpSpan)) }))),
			}),
		),
	),
});

export const ExportLogsServiceRequest = z.object({
	resourceLogs: optional(
		z.array(
			z.object({
				resource: Resource,
				scopeLogs: optional(
					z.array(z.object({ scope: InstrumentationScope, logRecords: optional(z.array(OtlpLogRecord)) })),
				),
			}),
		),
	),
});

/** The JSON responses; `partialSuccess` only when something was rejected (int64 counts as strings, per the mapping). */
export const ExportTraceServiceResponse = z.object({
	partialSuccess: optional(z.object({ rejectedSpans: optional(Int64), errorMessage: optional(z.string()) })),
});
export const ExportLogsServiceResponse = z.object({
	partialSuccess: optional(z.object({ rejectedLogRecords: optional(Int64), errorMessage: optional(z.string()) })),
});

/** google.rpc.Status, the body of OTLP error responses. */
export const OtlpStatus = z.object({ code: z.number().check(z.int()), message: z.string() });

type JsonValue = unknown;

/** Depth of nested arrays/objects beyond `limit`? Checked before the recursive schema runs. */
function tooDeep(value: JsonValue, limit: number): boolean {
	if (limit < 0) return true;
	if (value === null || typeof value !== "object") return false;
	for (const v of Object.values(value)) if (tooDeep(v, limit - 1)) return true;
	return false;
}

const HEX_ID = /^(?:[0-9a-fA-F]{2})*$/;
/** "" stays absent; anything but an even run of hex digits is invalid (null). */
function hexId(value: string | undefined): string | null {
	if (value === undefined) return "";
	return HEX_ID.test(value) ? value.toLowerCase() : null;
}

function nanos(value: string | number | undefined): bigint | null {
	if (value === undefined) return 0n;
	// A JSON number (the mapping allows one) beyond 2^53 arrives rounded to a double: within 256 ns of the
	// time sent, far below the milliseconds stored.
	if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value < 2 ** 64 ? BigInt(value) : null;
	return /^\d{1,20}$/.test(value) ? BigInt(value) : null;
}

function int64(value: string | number): number | string {
	if (typeof value === "number") return value;
	if (!/^-?\d+$/.test(value)) return value;
	const n = Number(value);
	return Number.isSafeInteger(n) ? n : value;
}

function anyValue(v: AnyValueJson): AttrValue {
	if (v.stringValue !== undefined) return v.stringValue;
	if (v.boolValue !== undefined) return v.boolValue;
	if (v.intValue !== undefined) return int64(v.intValue);
	if (v.doubleValue !== undefined) return typeof v.doubleValue === "number" ? v.doubleValue : Number(v.doubleValue);
	if (v.bytesValue !== undefined) return v.bytesValue;
	if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
	if (v.kvlistValue !== undefined) return attributes(v.kvlistValue.values);
	return null;
}

function attributes(list: KeyValueJson[] | undefined): Attributes {
	const out = emptyAttributes();
	for (const kv of list ?? []) out[kv.key ?? ""] = kv.value === undefined ? null : anyValue(kv.value);
	return out;
}

function scope(s: z.output<typeof InstrumentationScope>): Scope {
	return { name: s?.name ?? "", version: s?.version ?? "", attributes: attributes(s?.attributes) };
}

const SPAN_KINDS: Record<string, number> = {
	SPAN_KIND_UNSPECIFIED: 0,
	SPAN_KIND_INTERNAL: 1,
	SPAN_KIND_SERVER: 2,
	SPAN_KIND_CLIENT: 3,
	SPAN_KIND_PRODUCER: 4,
	SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SEVERITY_NAMES = [
	"UNSPECIFIED",
	"TRACE",
	"TRACE2",
	"TRACE3",
	"TRACE4",
	"DEBUG",
	"DEBUG2",
	"DEBUG3",
	"DEBUG4",
	"INFO",
	"INFO2",
	"INFO3",
	"INFO4",
	"WARN",
	"WARN2",
	"WARN3",
	"WARN4",
	"ERROR",
	"ERROR2",
	"ERROR3",
	"ERROR4",
	"FATAL",
	"FATAL2",
	"FATAL3",
	"FATAL4",
];

/** A span kind by its proto name or its short name ("server", as Vercel's trace drain example writes it). */
const spanKind = (name: string) => SPAN_KINDS[name] ?? SPAN_KINDS[`SPAN_KIND_${name.toUpperCase()}`];

function enumValue(value: string | number | undefined, names: (name: string) => number | undefined): number {
	if (value === undefined) return 0;
	if (typeof value === "number") return Number.isInteger(value) ? value : 0;
	return names(value) ?? 0;
}

export type JsonDecodeResult<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(error: z.core.$ZodError): string {
	const issue = error.issues[0];
	return issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid request";
}

function parse<S extends z.ZodMiniType>(schema: S, json: unknown): JsonDecodeResult<z.output<S>> {
	if (tooDeep(json, MAX_VALUE_DEPTH * 3 + 10)) return { ok: false, message: "request nested too deeply" };
	const result = schema.safeParse(json);
	return result.success ? { ok: true, value: result.data } : { ok: false, message: describe(result.error) };
}

export function decodeTracesJson(json: unknown): JsonDecodeResult<TracesRequest> {
	const parsed = parse(ExportTraceServiceRequest, json);
	if (!parsed.ok) return parsed;
	const value = (parsed.value.resourceSpans ?? []).map(
		(rs): ResourceItems<Span> => ({
			resource: attributes(rs.resource?.attributes),
			scopes: (rs.scopeSpans ?? []).map((ss) => ({
				scope: scope(ss.scope),
				items: (ss.spans ?? []).map(
					(s): Span => ({
						traceId: hexId(s.traceId),
						spanId: hexId(s.spanId),
						parentSpanId: hexId(s.parentSpanId),
						name: s.name ?? "",
						kind: enumValue(s.kind, spanKind),
						start: nanos(s.startTimeUnixNano),
						end: nanos(s.endTimeUnixNano),
						attributes: attributes(s.attributes),
						statusCode: enumValue(s.status?.code, (n) => STATUS_CODES[n]),
						statusMessage: s.status?.message ?? "",
					}),
				),
			})),
		}),
	);
	return { ok: true, value };
}

export function decodeLogsJson(json: unknown): JsonDecodeResult<LogsRequest> {
	const parsed = parse(ExportLogsServiceRequest, json);
	if (!parsed.ok) return parsed;
	const value = (parsed.value.resourceLogs ?? []).map(
		(rl): ResourceItems<LogRecord> => ({
			resource: attributes(rl.resource?.attributes),
			scopes: (rl.scopeLogs ?? []).map((sl) => ({
				scope: scope(sl.scope),
				items: (sl.logRecords ?? []).map(
					(l): LogRecord => ({
						time: nanos(l.timeUnixNano),
						observedTime: nanos(l.observedTimeUnixNano),
						severityNumber: enumValue(l.severityNumber, (n) => {
							const i = SEVERITY_NAMES.indexOf(n.replace(/^SEVERITY_NUMBER_/, ""));
							return i === -1 ? undefined : i;
						}),
						severityText: l.severityText ?? "",
						body: l.body === undefined ? undefined : anyValue(l.body),
						attributes: attributes(l.attributes),
						traceId: hexId(l.traceId),
						spanId: hexId(l.spanId),
						eventName: l.eventName ?? "",
					}),
				),
			})),
		}),
	);
	return { ok: true, value };
}
