import * as z from "zod/mini";
import "../util/zod-locale.ts";
import { lazyObject } from "../util/lazy.ts";
import { jsonObjectSchema } from "./json-object.ts";
import { LIMITS } from "./limits.ts";

// The wire contract of docs/api/ingestion-api.txt, field for field. Unknown fields are stripped, never an error.
// zod/mini: the same engine as zod, in functional form, so the bundle carries only what is used.
// The schemas are built on first use (src/util/lazy.ts): valid bodies take the fast path (fast.ts) and never
// reach zod, so building them belongs to the first 400 (or OTLP export), not to every isolate's startup.

/** DateTime64(3)'s range; anything outside it cannot be stored faithfully. */
export const MIN_TIME = Date.UTC(1900, 0, 1);
export const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

const isoDatetime = z.iso.datetime({ offset: true });
/** The very pattern zod tests timestamps with: the fast path (fast.ts) reuses it instead of restating it. */
export const ISO_DATETIME = isoDatetime._zod.def.pattern as RegExp;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const SPAN_STATUSES = ["ok", "error"] as const;
/** cost_usd's upper bound. */
export const MAX_COST = 1e12;

function buildSchemas() {
	const isoTimestamp = z.pipe(
		isoDatetime,
		z.transform((value, ctx) => {
			const ms = Date.parse(value);
			if (!(ms >= MIN_TIME && ms <= MAX_TIME)) {
				ctx.issues.push({
					code: "custom",
					message: "Timestamp must be between 1900-01-01 and 2299-12-31",
					input: value,
				});
				return z.NEVER;
			}
			return ms;
		}),
	);

	/** A count or a duration: >= 0, rounded half away from zero. */
	const roundedCount = z.pipe(z.number().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)), z.transform(Math.round));

	const bounded = (max: number) => z.string().check(z.maxLength(max));
	const service = z._default(bounded(LIMITS.name), "unknown");
	const environment = z._default(bounded(LIMITS.name), "production");
	const release = bounded(LIMITS.release);
	const id = bounded(LIMITS.id);
	const name = bounded(LIMITS.name);
	const optional = z.optional;
	const jsonObject = jsonObjectSchema();

	const LogLevel = z.enum(LOG_LEVELS);

	const LogEntry = z.object({
		level: LogLevel,
		message: bounded(LIMITS.logMessage),
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

	const LogsBody = z.object({
		service,
		environment,
		release: optional(release),
		logs: z.array(LogEntry).check(z.minLength(1), z.maxLength(LIMITS.logsPerRequest)),
	});

	const Breadcrumb = z.object({
		type: name,
		message: bounded(LIMITS.breadcrumbMessage),
		timestamp: isoTimestamp,
	});

	const ErrorBody = z.object({
		service,
		environment,
		error_message: bounded(LIMITS.errorMessage),
		stack_trace: bounded(LIMITS.stackTrace),
		severity: z._default(z.enum(SEVERITIES), "medium"),
		context: optional(jsonObject),
		trace_id: optional(id),
		user_id: optional(id),
		release: optional(release),
		breadcrumbs: optional(z.array(Breadcrumb).check(z.maxLength(LIMITS.breadcrumbs))),
	});

	const SpanBody = z.object({
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

	const LlmBody = z.object({
		service,
		environment,
		model: name,
		provider: name,
		operation: name,
		input_tokens: roundedCount,
		output_tokens: roundedCount,
		cost_usd: z._default(z.number().check(z.gte(0), z.lte(MAX_COST)), 0),
		latency_ms: roundedCount,
		metadata: optional(jsonObject),
		release: optional(release),
	});
	return { isoTimestamp, LogLevel, LogEntry, LogsBody, Breadcrumb, ErrorBody, SpanBody, LlmBody };
}

const schemas = lazyObject(buildSchemas);

/** ISO 8601 date-time with a zone (Z or ±hh:mm); output is Unix milliseconds. */
export const isoTimestamp = lazyObject(() => schemas.isoTimestamp);
export const LogLevel = lazyObject(() => schemas.LogLevel);
export const LogEntry = lazyObject(() => schemas.LogEntry);
export const LogsBody = lazyObject(() => schemas.LogsBody);
export const Breadcrumb = lazyObject(() => schemas.Breadcrumb);
export const ErrorBody = lazyObject(() => schemas.ErrorBody);
export const SpanBody = lazyObject(() => schemas.SpanBody);
export const LlmBody = lazyObject(() => schemas.LlmBody);

export type LogsPayload = z.output<typeof LogsBody>;
export type ErrorPayload = z.output<typeof ErrorBody>;
export type SpanPayload = z.output<typeof SpanBody>;
export type LlmPayload = z.output<typeof LlmBody>;
