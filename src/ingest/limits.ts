/**
 * Bounds the reference leaves open, chosen so that no single field can dominate a 5 MB request
 * or a ClickHouse row. Documented in the README (Limits).
 */
export const LIMITS = {
	logsPerRequest: 1000,
	release: 128,
	/** service, environment, context, operation, model, provider, level-like names. */
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
