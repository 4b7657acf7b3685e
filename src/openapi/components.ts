import * as z from "zod/mini";
import { MAX_BODY_BYTES } from "../http/body.ts";
import { ErrorBody, LlmBody, LogsBody, SpanBody } from "../ingest/schemas.ts";
import {
	ExportLogsServiceRequest,
	ExportLogsServiceResponse,
	ExportTraceServiceRequest,
	ExportTraceServiceResponse,
	OtlpAnyValue,
	OtlpKeyValue,
	OtlpStatus,
} from "../otlp/decode-json.ts";

// The document's components: request bodies from the very zod schemas the handlers validate with (their input
// side), the responses, and the parameters and refusals routes share. The paths are document.ts's.

const Ok = z.object({ ok: z.literal(true) });
const OkCount = z.object({ ok: z.literal(true), count: z.number().check(z.int(), z.gte(0)) });
const OkFingerprint = z.object({ ok: z.literal(true), fingerprint: z.string().check(z.regex(/^[0-9a-f]{64}$/)) });
const DrainAccepted = z.object({
	ok: z.literal(true),
	count: z.number().check(z.int(), z.gte(0)),
	rejected: z.optional(z.number().check(z.int(), z.gte(1))),
});
const DrainRejected = z.object({ error: z.string(), rejected: z.number().check(z.int(), z.gte(1)) });
const DrainBody = z
	.array(z.record(z.string(), z.unknown()))
	.check(
		z.describe(
			"Vercel drain entries: a JSON array, or NDJSON (one entry per line). By its schema field: none, a log entry (a logs row); vercel.speed_insights.v1, a Web Vitals metric (a web_vitals row); vercel.analytics.v1 or v2, a page view or event (a web_events row); any other, rejected",
		),
	);
const SourceMapsUploaded = z.object({
	ok: z.literal(true),
	release: z.string(),
	count: z.number().check(z.int(), z.gte(1)),
	refused: z.optional(
		z.array(z.object({ file: z.string(), reason: z.string() })).check(z.describe("Files not stored, and why")),
	),
});
const ErrorResponse = z.object({ error: z.string() });
const ValidationError = z.object({
	success: z.literal(false),
	error: z.object({
		issues: z.array(
			z.looseObject({
				code: z.string(),
				path: z.array(z.union([z.string(), z.number()])),
				message: z.string(),
			}),
		),
		name: z.literal("ZodError"),
	}),
});
const Health = z.object({ status: z.literal("ok"), timestamp: z.iso.datetime() });
const DependencyStatus = z.object({
	status: z.enum(["ok", "error"]),
	latency_ms: z.number().check(z.gte(0)),
	error: z.optional(z.string()),
});
const Ready = z.object({
	status: z.enum(["ok", "degraded"]),
	timestamp: z.iso.datetime(),
	dependencies: z.object({ clickhouse: DependencyStatus, redis: DependencyStatus, postgres: DependencyStatus }),
	spill: z.object({
		status: z.enum(["ok", "stale", "unknown"]),
		depth: z.nullable(z.number().check(z.int(), z.gte(0))),
		oldest_age_s: z.nullable(z.number().check(z.gte(0))),
		last_insert_at: z.nullable(z.string()),
	}),
});
const OpenApiDocument = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) });

/** Every component, by name: requests (the handlers' schemas) and responses. */
export const COMPONENTS: Record<string, z.core.$ZodType> = {
	LogsRequest: LogsBody,
	ErrorRequest: ErrorBody,
	SpanRequest: SpanBody,
	LlmRequest: LlmBody,
	DrainRequest: DrainBody,
	ExportTraceServiceRequest,
	ExportLogsServiceRequest,
	OtlpAnyValue,
	OtlpKeyValue,
	ExportTraceServiceResponse,
	ExportLogsServiceResponse,
	OtlpStatus,
	Ok,
	OkCount,
	OkFingerprint,
	DrainAccepted,
	DrainRejected,
	SourceMapsUploaded,
	Error: ErrorResponse,
	ValidationError,
	Health,
	Ready,
	OpenApiDocument,
};

export const ref = (name: keyof typeof COMPONENTS & string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object, example?: unknown) => ({
	"application/json": { schema, ...(example === undefined ? {} : { example }) },
});

export function componentSchemas(): Record<string, object> {
	const registry = z.registry<{ id: string }>();
	for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
	const { schemas } = z.toJSONSchema(registry, {
		io: "input",
		target: "draft-2020-12",
		unrepresentable: "any",
		uri: (id) => `#/components/schemas/${id}`,
	});
	// Components are embedded: no $schema / $id of their own (OpenAPI 3.1's dialect is 2020-12).
	return Object.fromEntries(
		Object.entries(schemas).map(([id, s]) => {
			const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
			return [id, rest];
		}),
	);
}

export const RETRY_AFTER = { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } };
export const RATE_HEADERS = {
	"X-RateLimit-Limit": { description: "Requests per minute allowed for the key", schema: { type: "integer" } },
	"X-RateLimit-Remaining": { description: "Requests left in the window", schema: { type: "integer" } },
	"X-RateLimit-Reset": { description: "Unix seconds when the window resets", schema: { type: "integer" } },
};

export const error = (description: string, example: string, headers?: object) => ({
	description,
	content: json(ref("Error"), { error: example }),
	...(headers ? { headers } : {}),
});

/** The refusals every authenticated route shares (the chain of /ingest/* and /v1/*). */
export const COMMON_ERRORS = {
	"401": error("Missing, malformed, unknown, revoked or expired API key", "Missing or invalid API key"),
	"403": error("Browser origin not in the key's allowed origins", "Origin not allowed"),
	"413": error(
		`Body over ${MAX_BODY_BYTES} bytes on the wire or after decompression`,
		"Request body exceeds the 5 MB limit",
	),
	"415": error("Unsupported Content-Type or Content-Encoding", "Unsupported Content-Type: send application/json"),
	"429": error("Rate limit exceeded", "Rate limit exceeded", { "Retry-After": RETRY_AFTER, ...RATE_HEADERS }),
	"500": error("Internal error", "Internal server error"),
	"503": error(
		"The key or its rate limit could not be checked, or (with ?wait=true) the data could not be stored",
		"Service temporarily unavailable",
		{
			"Retry-After": RETRY_AFTER,
		},
	),
};

export const VALIDATION_400 = {
	description: "Malformed JSON, invalid body encoding, or validation failed (zod issues)",
	content: {
		"application/json": {
			schema: { oneOf: [ref("ValidationError"), ref("Error")] },
			example: {
				success: false,
				error: {
					issues: [
						{
							code: "invalid_type",
							expected: "string",
							received: "undefined",
							path: ["error_message"],
							message: "Required",
						},
					],
					name: "ZodError",
				},
			},
		},
	},
};

export const WAIT = {
	name: "wait",
	in: "query",
	required: false,
	description: "true: answer once the rows are stored (or spilled), 503 when they could not be",
	schema: { type: "string", enum: ["true"] },
};
export const IDEMPOTENCY = {
	name: "Idempotency-Key",
	in: "header",
	required: false,
	description: "A retry with the same key and body is stored once",
	schema: { type: "string", minLength: 1, maxLength: 255 },
};
export const SDK = {
	name: "x-deeptracer-sdk",
	in: "header",
	required: false,
	description: "The sender (the DeepTracer SDK sends core/<version>): stored in every row's sdk column",
	schema: { type: "string" },
};
/** What every ingest operation says about the bounds it clips rather than refuses. */
export const CLIPPING =
	"Only the contract's own rules answer 400 (required fields, types, enums, 1-1000 logs, release over 128 characters, times that are not ISO 8601, negative numbers). A value past one of the service's own bounds (README Limits) is clipped and kept: each stored row lists the paths of its clipped fields in its truncated column.";
