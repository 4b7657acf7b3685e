import { z } from "zod";
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

export const OtlpAnyValue: z.ZodType<AnyValueJson> = z.lazy(() =>
	z.object({
		stringValue: z.string().optional(),
		boolValue: z.boolean().optional(),
		intValue: Int64.optional(),
		// "NaN", "Infinity", "-Infinity" per the JSON mapping
		doubleValue: z.union([z.number(), z.string()]).optional(),
		bytesValue: z.string().optional(),
		arrayValue: z.object({ values: z.array(OtlpAnyValue).optional() }).optional(),
		kvlistValue: z.object({ values: z.array(OtlpKeyValue).optional() }).optional(),
	}),
);

export const OtlpKeyValue: z.ZodType<KeyValueJson> = z.lazy(() =>
	z.object({ key: z.string().optional(), value: OtlpAnyValue.optional() }),
);

const Attrs = z.array(OtlpKeyValue).optional();
const Resource = z.object({ attributes: Attrs }).optional();
const InstrumentationScope = z
	.object({ name: z.string().optional(), version: z.string().optional(), attributes: Attrs })
	.optional();
const HexId = z.string().optional();

export const OtlpSpan = z.object({
	traceId: HexId,
	spanId: HexId,
	parentSpanId: HexId,
	name: z.string().optional(),
	kind: Enum.optional(),
	startTimeUnixNano: Int64.optional(),
	endTimeUnixNano: Int64.optional(),
	attributes: Attrs,
	status: z.object({ message: z.string().optional(), code: Enum.optional() }).optional(),
});

export const OtlpLogRecord = z.object({
	timeUnixNano: Int64.optional(),
	observedTimeUnixNano: Int64.optional(),
	severityNumber: Enum.optional(),
	severityText: z.string().optional(),
	body: OtlpAnyValue.optional(),
	attributes: Attrs,
	traceId: HexId,
	spanId: HexId,
	eventName: z.string().optional(),
});

export const ExportTraceServiceRequest = z.object({
	resourceSpans: z
		.array(
			z.object({
				resource: Resource,
				scopeSpans: z.array(z.object({ scope: InstrumentationScope, spans: z.array(OtlpSpan).optional() })).optional(),
			}),
		)
		.optional(),
});

export const ExportLogsServiceRequest = z.object({
	resourceLogs: z
		.array(
			z.object({
				resource: Resource,
				scopeLogs: z
					.array(z.object({ scope: InstrumentationScope, logRecords: z.array(OtlpLogRecord).optional() }))
					.optional(),
			}),
		)
		.optional(),
});

/** The JSON responses; `partialSuccess` only when something was rejected (int64 counts as strings, per the mapping). */
export const ExportTraceServiceResponse = z.object({
	partialSuccess: z.object({ rejectedSpans: Int64.optional(), errorMessage: z.string().optional() }).optional(),
});
export const ExportLogsServiceResponse = z.object({
	partialSuccess: z.object({ rejectedLogRecords: Int64.optional(), errorMessage: z.string().optional() }).optional(),
});

/** google.rpc.Status, the body of OTLP error responses. */
export const OtlpStatus = z.object({ code: z.number().int(), message: z.string() });

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
	if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null;
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

function enumValue(value: string | number | undefined, names: (name: string) => number | undefined): number {
	if (value === undefined) return 0;
	if (typeof value === "number") return Number.isInteger(value) ? value : 0;
	return names(value) ?? 0;
}

export type JsonDecodeResult<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(error: z.ZodError): string {
	const issue = error.issues[0];
	return issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid request";
}

function parse<S extends z.ZodType>(schema: S, json: unknown): JsonDecodeResult<z.output<S>> {
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
						kind: enumValue(s.kind, (n) => SPAN_KINDS[n]),
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
