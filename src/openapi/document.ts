import { SERVER_KEY_REQUIRED } from "../http/errors.ts";
import { AGGREGATE_OPERATIONS } from "../otlp/rows.ts";
import { DETAIL_FIELDS } from "../prices/apply.ts";
import { INDEX_BUDGET_BYTES, INDEX_FACTOR } from "../sourcemaps/index-format.ts";
import { MAX_BOUNDARY_CHARS } from "../sourcemaps/multipart.ts";
import { MAX_KEY_BYTES, MAX_RELEASE_CHARS } from "../sourcemaps/names.ts";
import { MAX_MAP_BYTES, MAX_PARTS, MAX_UPLOAD_BYTES } from "../sourcemaps/upload.ts";
import {
	CLIPPING,
	COMMON_ERRORS,
	componentSchemas,
	error,
	IDEMPOTENCY,
	json,
	RATE_HEADERS,
	RETRY_AFTER,
	ref,
	SDK,
	VALIDATION_400,
	WAIT,
} from "./components.ts";
import { REFERENCE_EXAMPLES } from "./examples.ts";

// The OpenAPI 3.1 document of GET /openapi.json, the request bodies generated from the very zod schemas the
// handlers validate with (their input side: what a client sends). Not part of the worker: `npm run dev` and
// `node --experimental-strip-types dev/openapi.ts` write it to src/generated/openapi.json, which the route
// serves, and test/dev/openapi-fresh.test.ts fails when that file differs from what this module builds.
// zod/mini like the handlers' schemas (toJSONSchema is zod core's, the same for both APIs).

const names = (fields: readonly string[]) => fields.join(" / ");
/** LLM cost at ingestion (src/prices/), as the two routes that store llm_usage rows describe it. */
const LLM_COST = (where: string, fields: (typeof DETAIL_FIELDS)[keyof typeof DETAIL_FIELDS]) =>
	`A record whose cost is missing or 0 and that has tokens is priced at ingestion from the price table (USD per 1M tokens per model family, kept in Postgres, changed without a deploy), cache and reasoning tokens as the provider bills them, read from ${where}: ${names(fields.cacheRead)} (cache reads), ${names(fields.cacheWrite)} (cache writes), ${names(fields.reasoning)} (reasoning). The stored row says how its cost came to be: cost_source client (a non-zero cost sent: kept as sent), inferred, or unknown (no price for the model, or no tokens: cost 0); price_version is the table's revision.`;

function ingest(
	summary: string,
	schema: string,
	example: object,
	ok: { schema: string; example: object },
	description?: string,
) {
	return {
		post: {
			summary,
			description: description === undefined ? CLIPPING : `${CLIPPING} ${description}`,
			security: [{ bearer: [] }],
			parameters: [WAIT, IDEMPOTENCY, SDK],
			requestBody: {
				required: true,
				content: {
					...json(ref(schema as "LogsRequest"), example),
					"text/plain": { schema: ref(schema as "LogsRequest") },
				},
			},
			responses: {
				"200": { description: "Accepted", headers: RATE_HEADERS, content: json(ref(ok.schema as "Ok"), ok.example) },
				"400": VALIDATION_400,
				...COMMON_ERRORS,
			},
		},
	};
}

function otlp(signal: "traces" | "logs") {
	const request = signal === "traces" ? "ExportTraceServiceRequest" : "ExportLogsServiceRequest";
	const response = signal === "traces" ? "ExportTraceServiceResponse" : "ExportLogsServiceResponse";
	const rejected = signal === "traces" ? "rejectedSpans" : "rejectedLogRecords";
	const protobuf = (message: string) => ({
		"application/x-protobuf": {
			schema: { type: "string", contentMediaType: "application/x-protobuf", description: `protobuf ${message}` },
		},
	});
	return {
		post: {
			summary: `OTLP/HTTP ${signal} export (protobuf or JSON, optionally gzip)`,
			description: `${
				signal === "traces"
					? `Spans become spans rows (service.name, deployment.environment(.name), service.version from the resource; attributes in metadata); GenAI spans also an llm_usage row. ${LLM_COST("the span's attributes (the GenAI conventions: input and output include them)", DETAIL_FIELDS.span)} Agent spans (gen_ai.operation.name ${[...AGGREGATE_OPERATIONS].join(", ")}) repeat their calls' usage and are not priced.`
					: "Log records become logs rows; SeverityNumber 1-8 debug, 9-12 info, 13-16 warn, 17-24 error."
			} Metadata holds the resource's and scope's attributes (the first 128, bounded per item and per request) and the item's first 128; otel.dropped_attributes_count counts the rest. Items OTLP refuses (bad ids, no start time) are rejected in partialSuccess; everything past a bound of the service's own is clipped and listed in the row's truncated column. The same export delivered again (an exporter's retry) is stored once. A Vercel trace drain's export is signed: with x-vercel-signature, it is checked against the project's drain secret (403 on a mismatch), and answers carry x-vercel-verify; the resource's vercel.deploymentId is the release. Error answers to protobuf requests (401, 403, 413, 415, 429, 503) are a protobuf google.rpc.Status carrying the JSON body's error message.`,
			security: [{ bearer: [] }],
			parameters: [WAIT, IDEMPOTENCY],
			requestBody: {
				required: true,
				content: {
					...protobuf(
						`opentelemetry.proto.collector.${signal}.v1.Export${signal === "traces" ? "Trace" : "Logs"}ServiceRequest`,
					),
					...json(ref(request)),
				},
			},
			responses: {
				"200": {
					description: "Accepted; partialSuccess lists what was rejected. The response uses the request's encoding.",
					headers: RATE_HEADERS,
					content: {
						...protobuf(response),
						...json(ref(response), {
							partialSuccess: { [rejected]: "1", errorMessage: "1 rejected: span_id must be 8 bytes" },
						}),
					},
				},
				"400": {
					description: "Malformed request (not decodable): google.rpc.Status in the request's encoding; do not retry",
					content: {
						...protobuf("google.rpc.Status"),
						...json(ref("OtlpStatus"), { code: 3, message: "Malformed JSON body" }),
					},
				},
				...COMMON_ERRORS,
			},
		},
	};
}

/** The whole document, built afresh on each call. */
export function buildOpenApiDocument() {
	return {
		openapi: "3.1.0",
		info: {
			title: "DeepTracer ingestion API",
			version: "1.0.0",
			description:
				"Logs, errors, trace spans, LLM usage, Vercel log drains and OTLP/HTTP, authenticated with a Bearer API key.",
		},
		servers: [{ url: "https://ingest.deeptracer.dev" }],
		jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
		security: [],
		paths: {
			"/health": {
				get: {
					summary: "Liveness",
					security: [],
					responses: {
						"200": {
							description: "Alive",
							content: json(ref("Health"), { status: "ok", timestamp: "2026-02-23T00:00:00.000Z" }),
						},
					},
				},
			},
			"/health/ready": {
				get: {
					summary: "Readiness: ClickHouse, Redis, Postgres and the delivery spill",
					security: [],
					responses: {
						"200": { description: "Every dependency answers", content: json(ref("Ready")) },
						"503": { description: "A dependency is failing, or the spill is stale", content: json(ref("Ready")) },
					},
				},
			},
			"/ingest/logs": ingest("A batch of 1 to 1,000 log entries", "LogsRequest", REFERENCE_EXAMPLES.logs, {
				schema: "OkCount",
				example: { ok: true, count: 2 },
			}),
			"/ingest/errors": ingest(
				"One error with its stack trace; answers its fingerprint",
				"ErrorRequest",
				REFERENCE_EXAMPLES.errors,
				{ schema: "OkFingerprint", example: { ok: true, fingerprint: "a1b2c3d4e5f6".padEnd(64, "0") } },
			),
			"/ingest/traces": ingest("One trace span", "SpanRequest", REFERENCE_EXAMPLES.traces, {
				schema: "Ok",
				example: { ok: true },
			}),
			"/ingest/llm": ingest(
				"One LLM usage record",
				"LlmRequest",
				REFERENCE_EXAMPLES.llm,
				{ schema: "Ok", example: { ok: true } },
				LLM_COST("top-level keys of metadata, counted as the provider's own API counts them", DETAIL_FIELDS.metadata),
			),
			"/ingest/drain": {
				get: {
					summary: "Vercel drain verification (answers x-vercel-verify)",
					security: [{ bearer: [] }],
					responses: {
						"200": { description: "Verified", content: json(ref("OkCount"), { ok: true, count: 0 }) },
						...COMMON_ERRORS,
					},
				},
				post: {
					summary:
						"Vercel log, Speed Insights and Web Analytics drains: JSON array or NDJSON, optionally gzip and signed (x-vercel-signature)",
					description:
						"Each entry a row of its schema's table (logs, web_vitals, web_events); an entry that is none is counted in rejected, a value past a bound is clipped and listed in the row's truncated column, and the same batch delivered again (Vercel retries) is stored once. Every answer carries the project's x-vercel-verify code when it has one.",
					security: [{ bearer: [] }],
					parameters: [WAIT, IDEMPOTENCY],
					requestBody: {
						required: true,
						content: {
							...json(ref("DrainRequest")),
							"application/x-ndjson": { schema: { type: "string" } },
						},
					},
					responses: {
						"200": {
							description: "Accepted (rejected counts entries that could not be read)",
							content: json(ref("DrainAccepted")),
						},
						"400": {
							description: "Malformed body, or no valid entry",
							content: json({ oneOf: [ref("DrainRejected"), ref("Error")] }),
						},
						...COMMON_ERRORS,
						"403": error("Origin not allowed, or invalid signature", "Invalid signature"),
					},
				},
			},
			"/ingest/sourcemaps": {
				post: {
					summary: "Upload a build's source maps for a release (as the Next.js SDK does after each build)",
					description: `Multipart (a boundary of at most ${MAX_BOUNDARY_CHARS} characters, RFC 2046): \`release\` first (not \`.\` or \`..\`), then one or more \`files\` (.map, named by their path relative to the build folder; backslashes are read as slashes), at most ${MAX_UPLOAD_BYTES} bytes and ${MAX_PARTS} parts in all and ${MAX_MAP_BYTES} bytes per file. A file refused for itself (not a source map, too large, a name escaping the folder, an R2 key over ${MAX_KEY_BYTES} bytes, a lookup index over ${INDEX_FACTOR}× the map or over ${INDEX_BUDGET_BYTES} bytes) is listed in \`refused\` and the rest are stored. Once a map is stored the answer is 200: what could not be read after it (a second release, the part past the cap, a broken or oversized body) is listed in \`refused\` too. Needs a server key: a key with allowed origins (a browser key, public in its pages) is refused, as is any request with an Origin header.`,
					security: [{ bearer: [] }],
					requestBody: {
						required: true,
						content: {
							"multipart/form-data": {
								schema: {
									type: "object",
									required: ["release", "files"],
									properties: {
										release: { type: "string", minLength: 1, maxLength: MAX_RELEASE_CHARS },
										files: { type: "array", items: { type: "string", contentMediaType: "application/json" } },
									},
								},
							},
						},
					},
					responses: {
						"200": {
							description: "Stored (refused lists files not stored)",
							headers: RATE_HEADERS,
							content: json(ref("SourceMapsUploaded"), { ok: true, release: "v1.2.3", count: 2 }),
						},
						"400": error(
							`Before any map was stored: a missing, repeated or invalid release, no files, no file stored, more than ${MAX_PARTS} parts, a boundary RFC 2046 does not allow, or malformed multipart`,
							"release is required, before the files",
						),
						...COMMON_ERRORS,
						"403": error(
							"A key with allowed origins (a browser key), or any request with an Origin header",
							SERVER_KEY_REQUIRED,
						),
						"413": error(
							`Body over ${MAX_UPLOAD_BYTES} bytes, before any map was stored`,
							"Request body exceeds the 50 MB limit",
						),
						"415": error("Not multipart/form-data", "Unsupported Content-Type: send multipart/form-data"),
						"503": error(
							"The key could not be checked, or the maps could not be stored",
							"Could not store the data; retry",
							{
								"Retry-After": RETRY_AFTER,
							},
						),
					},
				},
			},
			"/ingest/sourcemaps/{release}": {
				delete: {
					summary: "Delete every source map of a release of the key's project (idempotent)",
					security: [{ bearer: [] }],
					parameters: [
						{ name: "release", in: "path", required: true, schema: { type: "string", maxLength: MAX_RELEASE_CHARS } },
					],
					responses: {
						"200": {
							description: "Deleted (or there was nothing)",
							headers: RATE_HEADERS,
							content: json(ref("Ok"), { ok: true }),
						},
						"400": error("Invalid release", "release exceeds 128 characters"),
						...COMMON_ERRORS,
						"403": error(
							"A key with allowed origins (a browser key), or any request with an Origin header",
							SERVER_KEY_REQUIRED,
						),
					},
				},
			},
			"/v1/traces": otlp("traces"),
			"/v1/logs": otlp("logs"),
			"/openapi.json": {
				get: {
					summary: "This document",
					security: [],
					responses: { "200": { description: "OpenAPI 3.1", content: json(ref("OpenApiDocument")) } },
				},
			},
		},
		components: {
			securitySchemes: {
				bearer: { type: "http", scheme: "bearer", description: "dt_ followed by 40 base62 characters" },
			},
			schemas: componentSchemas(),
		},
	};
}
