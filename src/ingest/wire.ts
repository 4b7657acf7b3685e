// What the fast path (fast.ts) checks of the contract without its zod schemas: the closed sets and the timestamp
// format, as plain values, so that no isolate evaluates zod before a body needs it. schemas.ts builds the schemas
// from the same sets.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const SPAN_STATUSES = ["ok", "error"] as const;

/**
 * The pattern zod tests the contract's timestamps with (z.iso.datetime({ offset: true }), the schemas' isoDatetime):
 * a calendar date (leap years included), "T", hh:mm:ss, any fraction, "Z" or ±hh:mm. Written out here because
 * importing it from zod would evaluate zod's core at startup; test/unit/fast.test.ts fails if zod's ever differs.
 */
export const ISO_DATETIME =
	/^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$/;
