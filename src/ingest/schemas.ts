import { z } from "zod";
import { jsonObject } from "./json-object.ts";
import { LIMITS } from "./limits.ts";

// The wire contract of ../shared/api/ingestion-api.txt, field for field. Unknown fields are stripped, never an error.

/** DateTime64(3)'s range; anything outside it cannot be stored faithfully. */
const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/** ISO 8601 date-time with a zone (Z or ±hh:mm); output is Unix milliseconds. */
export const isoTimestamp = z.iso.datetime({ offset: true }).transform((value, ctx) => {
	const ms = Date.parse(value);
	if (!(ms >= MIN_TIME && ms <= MAX_TIME)) {
		ctx.addIssue({ code: "custom", message: "Timestamp must be between 1900-01-01 and 2299-12-31" });
		return z.NEVER;
	}
	return ms;
});

/** A count or a duration: >= 0, rounded half away from zero. */
const roundedCount = z.number().min(0).max(Number.MAX_SAFE_INTEGER).transform(Math.round);

const service = z.string().max(LIMITS.name).default("unknown");
const environment = z.string().max(LIMITS.name).default("production");
const release = z.string().max(LIMITS.release);
const id = z.string().max(LIMITS.id);
const name = z.string().max(LIMITS.name);

export const LogLevel = z.enum(["debug", "info", "warn", "error"]);

export const LogEntry = z.object({
	level: LogLevel,
	message: z.string().max(LIMITS.logMessage),
	timestamp: isoTimestamp.optional(),
	metadata: jsonObject.optional(),
	trace_id: id.optional(),
	span_id: id.optional(),
	request_id: id.optional(),
	context: name.optional(),
	release: release.optional(),
	/** Sent by the SDK (the Vercel request id), not in the reference; kept. */
	vercel_id: id.optional(),
});

export const LogsBody = z.object({
	service,
	environment,
	release: release.optional(),
	logs: z.array(LogEntry).min(1).max(LIMITS.logsPerRequest),
});

export const Breadcrumb = z.object({
	type: name,
	message: z.string().max(LIMITS.breadcrumbMessage),
	timestamp: isoTimestamp,
});

export const ErrorBody = z.object({
	service,
	environment,
	error_message: z.string().max(LIMITS.errorMessage),
	stack_trace: z.string().max(LIMITS.stackTrace),
	severity: z.enum(["low", "medium", "high", "critical"]).default("medium"),
	context: jsonObject.optional(),
	trace_id: id.optional(),
	user_id: id.optional(),
	release: release.optional(),
	breadcrumbs: z.array(Breadcrumb).max(LIMITS.breadcrumbs).optional(),
});

export const SpanBody = z.object({
	service,
	environment,
	trace_id: id,
	span_id: id,
	parent_span_id: id.default(""),
	operation: name,
	start_time: isoTimestamp,
	duration_ms: roundedCount,
	status: z.enum(["ok", "error"]).default("ok"),
	metadata: jsonObject.optional(),
	release: release.optional(),
});

export const LlmBody = z.object({
	service,
	environment,
	model: name,
	provider: name,
	operation: name,
	input_tokens: roundedCount,
	output_tokens: roundedCount,
	cost_usd: z.number().min(0).max(1e12).default(0),
	latency_ms: roundedCount,
	metadata: jsonObject.optional(),
	release: release.optional(),
});

export type LogsPayload = z.output<typeof LogsBody>;
export type ErrorPayload = z.output<typeof ErrorBody>;
export type SpanPayload = z.output<typeof SpanBody>;
export type LlmPayload = z.output<typeof LlmBody>;
