import type { Rejections } from "../ingest/rejections.ts";

/**
 * One structured log line per request: everything worth knowing about it, in one place, one type per field (a log
 * query over a field works for every route). Never holds a key's plaintext, a secret or a connection string.
 */
export interface WideEvent {
	request_id: string;
	method: string;
	route: string;
	status?: number;
	/** What became of the request: a Failure's kind, or a route's own (preflight, drain_verification, ...). */
	outcome?: string;
	key_id?: string;
	project_id?: string;
	auth_source?: string;
	auth_via?: "beacon";
	rate_limit_failed_open?: boolean;
	/** Bytes on the wire, and the body's format (json, ndjson, protobuf, multipart). */
	bytes?: number;
	format?: string;
	/** Items accepted; items refused one by one, in all and by reason (drain entries, OTLP items). */
	count?: number;
	rejected?: number;
	rejected_reasons?: Rejections;
	/** Field paths clipped to their bound over the request's rows (each row lists its own in `truncated`). */
	truncated?: number;
	/** The sender's x-deeptracer-sdk ("core/0.8.3"). */
	sdk?: string;
	/** Source map uploads: files refused for themselves. */
	refused?: number;
	/** Errors: how the stack was resolved against source maps, when it had maps. */
	symbolication?: string;
	/** LLM records that needed a price while no price table could be read (stored with cost_source unknown). */
	prices?: "unavailable";
	/** `?wait=true`: the delivery's worst outcome; a retry answered without a write. */
	delivery?: string;
	idempotency?: "retry_of_held";
	duration_ms?: number;
	/** An unexpected error's class (its message goes to the error stream, never here). */
	error?: string;
}

/** What a route may add to its request's line (http/intake.ts Decoded.facts). */
export type RouteFacts = Pick<WideEvent, "symbolication" | "prices">;

export function emit(event: WideEvent): void {
	console.log(JSON.stringify(event));
}
