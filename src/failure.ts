/**
 * Every expected refusal of a request, as a value: what any layer may answer instead of a result (an upload refused
 * for its body, a bad key, a body over its limit). http/errors.ts alone turns one into its documented status and body.
 */
export type Failure =
	| { kind: "unauthorized" }
	| { kind: "auth_unavailable" }
	| { kind: "origin_refused" }
	| { kind: "server_key_required" }
	| { kind: "rate_limited"; retryAfterSeconds: number }
	| { kind: "limit_unavailable" }
	| { kind: "auth_throttled"; retryAfterSeconds: number }
	| { kind: "invalid_payload"; issues: unknown[] }
	| { kind: "malformed_json" }
	| { kind: "undecodable_body"; reason: string }
	| { kind: "payload_too_large"; maxBytes: number }
	| { kind: "unsupported_media_type"; what: "content-type" | "content-encoding" | "multipart" }
	| { kind: "invalid_upload"; message: string }
	| { kind: "signature_invalid" }
	| { kind: "invalid_header"; message: string }
	| { kind: "write_unavailable" }
	| { kind: "client_closed" }
	| { kind: "not_found" }
	| { kind: "internal" }
	| { kind: "misconfigured" };

export const NOT_UTF8: Failure = { kind: "undecodable_body", reason: "Body is not valid UTF-8" };
