import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Failure } from "../failure.ts";
import { json, setHeader } from "./respond.ts";

export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;
export const SERVER_KEY_REQUIRED =
	"Source maps need a server key: this key has allowed origins (a browser key, public in every page)";

const UNSUPPORTED_MEDIA = {
	"content-type": "Unsupported Content-Type: send application/json",
	"content-encoding": "Unsupported Content-Encoding: send gzip, deflate or none",
	multipart: "Unsupported Content-Type: send multipart/form-data",
} as const;

function httpShape(failure: Failure): { status: ContentfulStatusCode; body: object; headers?: Record<string, string> } {
	switch (failure.kind) {
		case "unauthorized":
			return { status: 401, body: { error: "Missing or invalid API key" } };
		case "auth_unavailable":
		case "limit_unavailable":
			return {
				status: 503,
				body: { error: "Service temporarily unavailable" },
				headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
			};
		case "origin_refused":
			return { status: 403, body: { error: "Origin not allowed" } };
		case "server_key_required":
			return { status: 403, body: { error: SERVER_KEY_REQUIRED } };
		case "rate_limited":
			return {
				status: 429,
				body: { error: "Rate limit exceeded" },
				headers: { "Retry-After": String(failure.retryAfterSeconds) },
			};
		case "auth_throttled":
			return {
				status: 429,
				body: { error: "Too many invalid API keys from this address" },
				headers: { "Retry-After": String(failure.retryAfterSeconds) },
			};
		case "invalid_payload":
			return { status: 400, body: { success: false, error: { issues: failure.issues, name: "ZodError" } } };
		case "malformed_json":
			return { status: 400, body: { error: "Malformed JSON body" } };
		case "undecodable_body":
			return { status: 400, body: { error: failure.reason } };
		case "payload_too_large":
			return {
				status: 413,
				body: { error: `Request body exceeds the ${failure.maxBytes / (1024 * 1024)} MB limit` },
			};
		case "unsupported_media_type":
			return {
				status: 415,
				body: {
					error: UNSUPPORTED_MEDIA[failure.what],
				},
			};
		case "signature_invalid":
			return { status: 403, body: { error: "Invalid signature" } };
		case "invalid_header":
		case "invalid_upload":
			return { status: 400, body: { error: failure.message } };
		case "write_unavailable":
			return {
				status: 503,
				body: { error: "Could not store the data; retry" },
				headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
			};
		case "client_closed":
			// Nobody reads it: the client hung up before its body arrived.
			return { status: 400, body: { error: "The client closed the request before its body arrived" } };
		case "not_found":
			return { status: 404, body: { error: "Not found" } };
		case "misconfigured":
		case "internal":
			return { status: 500, body: { error: "Internal server error" } };
	}
}

export function failureResponse(c: Context, failure: Failure): Response {
	const { status, body, headers } = httpShape(failure);
	const event = c.get("event") as { outcome?: string } | undefined;
	if (event && !event.outcome) event.outcome = failure.kind;
	if (headers) for (const [k, v] of Object.entries(headers)) setHeader(c, k, v);
	return json(c, body, status);
}

/** Thrown only at the HTTP edge, when a middleware has to stop the request with a Failure. */
export class FailureError extends Error {
	readonly failure: Failure;
	constructor(failure: Failure) {
		super(failure.kind);
		this.failure = failure;
	}
}
