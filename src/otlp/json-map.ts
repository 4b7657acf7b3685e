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

// OTLP/JSON (the protobuf JSON mapping with lowerCamelCase keys, hex ids, 64-bit integers as strings or numbers)
// turned into the decoded model (model.ts), for a request whose structure is checked: by the zod schemas
// (decode-json.ts, which also render what is wrong) or by the fast path's plain checks (json-fast.ts). The schemas
// transform nothing, so their output is the request minus unknown fields, and these functions, which read known
// fields only, give the same model for either. Field values an item cannot be stored with (bad ids, times) reject
// that item only (rows.ts).

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
type AttributesJson = KeyValueJson[] | undefined;
interface ScopeJson {
	name?: string | undefined;
	version?: string | undefined;
	attributes?: AttributesJson;
}
interface ResourceJson {
	attributes?: AttributesJson;
}
type Int64Json = string | number | undefined;
type EnumJson = number | string | undefined;

export interface SpanJson {
	traceId?: string | undefined;
	spanId?: string | undefined;
	parentSpanId?: string | undefined;
	name?: string | undefined;
	kind?: EnumJson;
	startTimeUnixNano?: Int64Json;
	endTimeUnixNano?: Int64Json;
	attributes?: AttributesJson;
	status?: { message?: string | undefined; code?: EnumJson } | undefined;
}
export interface LogRecordJson {
	timeUnixNano?: Int64Json;
	observedTimeUnixNano?: Int64Json;
	severityNumber?: EnumJson;
	severityText?: string | undefined;
	body?: AnyValueJson | undefined;
	attributes?: AttributesJson;
	traceId?: string | undefined;
	spanId?: string | undefined;
	eventName?: string | undefined;
}
export interface TracesJson {
	resourceSpans?:
		| {
				resource?: ResourceJson | undefined;
				scopeSpans?: { scope?: ScopeJson | undefined; spans?: SpanJson[] | undefined }[] | undefined;
		  }[]
		| undefined;
}
export interface LogsJson {
	resourceLogs?:
		| {
				resource?: ResourceJson | undefined;
				scopeLogs?: { scope?: ScopeJson | undefined; logRecords?: LogRecordJson[] | undefined }[] | undefined;
		  }[]
		| undefined;
}

/** Containers nested deeper than this anywhere in a request make it malformed ("request nested too deeply"). */
export const REQUEST_DEPTH = MAX_VALUE_DEPTH * 3 + 10;

/** Whether a value sits deeper than `limit` below `value` (checked before the recursive schema runs). */
export function tooDeep(value: unknown, limit: number): boolean {
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

function scope(s: ScopeJson | undefined): Scope {
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

/** The decoded spans of a checked OTLP/JSON traces request. */
export function tracesOf(request: TracesJson): TracesRequest {
	return (request.resourceSpans ?? []).map(
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
}

/** The decoded log records of a checked OTLP/JSON logs request. */
export function logsOf(request: LogsJson): LogsRequest {
	return (request.resourceLogs ?? []).map(
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
}
