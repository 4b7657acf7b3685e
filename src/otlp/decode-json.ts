import * as z from "zod/mini";
import "../util/zod-locale.ts";
import {
	type AnyValueJson,
	type KeyValueJson,
	type LogsJson,
	logsOf,
	REQUEST_DEPTH,
	type TracesJson,
	tooDeep,
	tracesOf,
} from "./json-map.ts";
import type { LogsRequest, TracesRequest } from "./model.ts";

// The OTLP/JSON schemas: they check a request's structure (a wrong type is a malformed request, and the first issue
// is its 400's message) and document it in /openapi.json. A request the fast path (json-fast.ts) takes never comes
// here; this module is loaded for the others (otlp/export.ts). zod/mini (functional form), like the ingest schemas.

const optional = z.optional;

/** int64 / fixed64: a decimal string or a number. */
const Int64 = z.union([z.string(), z.number()]);
/** Enums are integers in OTLP/JSON; the proto names are accepted too. */
const Enum = z.union([z.number(), z.string()]);

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

export type JsonDecodeResult<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(error: z.core.$ZodError): string {
	const issue = error.issues[0];
	return issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid request";
}

function parse<T>(schema: z.ZodMiniType<T>, json: unknown): JsonDecodeResult<T> {
	if (tooDeep(json, REQUEST_DEPTH)) return { ok: false, message: "request nested too deeply" };
	const result = schema.safeParse(json);
	return result.success ? { ok: true, value: result.data } : { ok: false, message: describe(result.error) };
}

/** The spans of an OTLP/JSON traces request, or what is wrong with it (the first issue zod finds). */
export function decodeTracesJson(json: unknown): JsonDecodeResult<TracesRequest> {
	const parsed = parse<TracesJson>(ExportTraceServiceRequest, json);
	return parsed.ok ? { ok: true, value: tracesOf(parsed.value) } : parsed;
}

/** The log records of an OTLP/JSON logs request, or what is wrong with it. */
export function decodeLogsJson(json: unknown): JsonDecodeResult<LogsRequest> {
	const parsed = parse<LogsJson>(ExportLogsServiceRequest, json);
	return parsed.ok ? { ok: true, value: logsOf(parsed.value) } : parsed;
}
