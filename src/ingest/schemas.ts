import * as z from "zod/mini";
import "../util/zod-locale.ts";
import { LIMITS, MAX_COST, MAX_COUNT } from "./limits.ts";
import { LOG_LEVELS, SEVERITIES, SPAN_STATUSES } from "./wire.ts";

// The wire contract of docs/api/ingestion-api.txt, field for field: what refuses a request (the documented 400).
// Only the contract's own rules are here (required fields, types, enums, 1-1000 logs, release <= 128, ISO 8601
// times, numbers >= 0); the bounds we chose clip when the rows are built (src/ingest/clip.ts), never refuse.
// Unknown fields are stripped, never an error. zod/mini: the same engine as zod, in functional form, so the bundle
// carries only what is used. The worker loads this module on first use (load-schemas.ts): valid bodies take the fast
// path (fast.ts) and never reach zod, so building the schemas belongs to the first body that needs them, not to
// every isolate's startup.

/** Each clipped field's bound (a string's length, a number, a list's length), on its schema: test/unit/fast.test.ts generates values around it. */
export const clipBounds = z.registry<{ clip: number }>();
/** How a clipped field is documented (/openapi.json). */
const CLIPPED_NOTE = (how: string) =>
	`Longer or larger is not refused: stored clipped ${how}, and the row's truncated lists it`;

/** ISO 8601 with a zone: its pattern is the one wire.ts writes out for the fast path (fast.test.ts checks it). */
export const isoDatetime = z.iso.datetime({ offset: true });
/** ISO 8601 with a zone, as Unix ms (a time DateTime64 cannot hold is clipped with the row, not refused here). */
export const isoTimestamp = z.pipe(
	isoDatetime,
	z.transform((value, ctx) => {
		const ms = Date.parse(value);
		if (Number.isNaN(ms)) {
			ctx.issues.push({ code: "custom", message: "Invalid datetime", input: value });
			return z.NEVER;
		}
		return ms;
	}),
);

/** A count or a duration: >= 0, rounded half away from zero. */
const roundedCount = z.pipe(
	z
		.number()
		.check(z.gte(0), z.describe(CLIPPED_NOTE(`at ${MAX_COUNT}`)))
		.register(clipBounds, { clip: MAX_COUNT }),
	z.transform(Math.round),
);

/** A string the rows clip at `max` (LIMITS), recorded for the generators; any length is valid. */
const clipped = (max: number) =>
	z
		.string()
		.check(z.describe(CLIPPED_NOTE(`at ${max} characters`)))
		.register(clipBounds, { clip: max });
const service = z._default(clipped(LIMITS.name), "unknown");
const environment = z._default(clipped(LIMITS.name), "production");
const release = z.string().check(z.maxLength(LIMITS.release));
const id = clipped(LIMITS.id);
const name = clipped(LIMITS.name);
const optional = z.optional;
/** metadata / context: any object (the rows reduce one past the size or depth bound). */
const jsonObject = z
	.record(z.string(), z.unknown())
	.check(
		z.describe(
			CLIPPED_NOTE(
				`to ${LIMITS.objectBytes} characters of JSON and ${LIMITS.objectDepth} levels, the biggest values first`,
			),
		),
	);

export const LogLevel = z.enum(LOG_LEVELS);

export const LogEntry = z.object({
	level: LogLevel,
	message: clipped(LIMITS.logMessage),
	timestamp: optional(isoTimestamp),
	metadata: optional(jsonObject),
	trace_id: optional(id),
	span_id: optional(id),
	request_id: optional(id),
	context: optional(name),
	release: optional(release),
	/** Sent by the SDK (the Vercel request id), not in the reference; kept. */
	vercel_id: optional(id),
});

export const LogsBody = z.object({
	service,
	environment,
	release: optional(release),
	logs: z.array(LogEntry).check(z.minLength(1), z.maxLength(LIMITS.logsPerRequest)),
});

export const Breadcrumb = z.object({
	type: name,
	message: clipped(LIMITS.breadcrumbMessage),
	timestamp: isoTimestamp,
});

export const ErrorBody = z.object({
	service,
	environment,
	error_message: clipped(LIMITS.errorMessage),
	stack_trace: clipped(LIMITS.stackTrace),
	severity: z._default(z.enum(SEVERITIES), "medium"),
	context: optional(jsonObject),
	trace_id: optional(id),
	user_id: optional(id),
	release: optional(release),
	breadcrumbs: optional(
		z
			.array(Breadcrumb)
			.check(
				z.describe(
					`The ${LIMITS.breadcrumbs} most recent are kept; the row's truncated lists breadcrumbs when some were not`,
				),
			)
			.register(clipBounds, { clip: LIMITS.breadcrumbs }),
	),
});

export const SpanBody = z.object({
	service,
	environment,
	trace_id: id,
	span_id: id,
	parent_span_id: z._default(id, ""),
	operation: name,
	start_time: isoTimestamp,
	duration_ms: roundedCount,
	status: z._default(z.enum(SPAN_STATUSES), "ok"),
	metadata: optional(jsonObject),
	release: optional(release),
});

export const LlmBody = z.object({
	service,
	environment,
	model: name,
	provider: name,
	operation: name,
	input_tokens: roundedCount,
	output_tokens: roundedCount,
	cost_usd: z._default(
		z
			.number()
			.check(z.gte(0), z.describe(CLIPPED_NOTE(`at ${MAX_COST}`)))
			.register(clipBounds, { clip: MAX_COST }),
		0,
	),
	latency_ms: roundedCount,
	metadata: optional(jsonObject),
	release: optional(release),
});

export type LogsPayload = z.output<typeof LogsBody>;
export type ErrorPayload = z.output<typeof ErrorBody>;
export type SpanPayload = z.output<typeof SpanBody>;
export type LlmPayload = z.output<typeof LlmBody>;
