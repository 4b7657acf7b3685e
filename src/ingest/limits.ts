/**
 * Bounds the reference leaves open, chosen so that no single field can dominate a 5 MB request or a ClickHouse row.
 * None of them refuses anything: a value past its bound is clipped (strings on a code point, a stack trace on a line
 * boundary, objects reduced, breadcrumbs the most recent kept) and the row's `truncated` column names the field
 * (src/ingest/clip.ts). Only the contract's own rules refuse: required fields, types, enums, `logsPerRequest` and
 * `release` (both documented by the reference), ISO timestamps, numbers >= 0. Documented in the README (Limits).
 */
export const LIMITS = {
	/** The contract's: 1-1000 log entries a request. */
	logsPerRequest: 1000,
	/** The contract's: "Release identifier, max 128 chars". */
	release: 128,
	/** service, environment, context, operation, model, provider, breadcrumb type. */
	name: 256,
	/** trace_id, span_id, parent_span_id, request_id, user_id, vercel_id. */
	id: 256,
	logMessage: 256 * 1024,
	errorMessage: 32 * 1024,
	stackTrace: 256 * 1024,
	breadcrumbs: 100,
	breadcrumbMessage: 8 * 1024,
	/** metadata / context objects, measured as JSON. */
	objectBytes: 64 * 1024,
	objectDepth: 20,
} as const;

/** Counts and durations past this are stored as it (a double cannot count exactly beyond it). */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** cost_usd past this is stored as it. */
export const MAX_COST = 1e12;
/** DateTime64(3)'s range; a time outside it is stored at the nearest end of it. */
export const MIN_TIME = Date.UTC(1900, 0, 1);
export const MAX_TIME = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
