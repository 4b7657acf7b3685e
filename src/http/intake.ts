import type { Context } from "hono";
import type { Failure } from "../failure.ts";
import { LIMITS } from "../ingest/limits.ts";
import { type Rejections, rejectedCount } from "../ingest/rejections.ts";
import type { Provenance } from "../ingest/rows.ts";
import type { ApiKeyRecord, SourceMapStore } from "../ports.ts";
import { currentPrices } from "../prices/lookup.ts";
import type { PriceBook } from "../prices/table.ts";
import { clip } from "../util/text.ts";
import { bytesParseWellFormed, parseJson, parsesWellFormed } from "../util/utf8.ts";
import { acknowledge, type Write } from "./accept.ts";
import type { AppEnv, Deps } from "./app-env.ts";
import { type Bytes, MAX_BODY_BYTES, readBody } from "./body.ts";
import { FailureError } from "./errors.ts";
import { identify } from "./idempotency.ts";
import { type Reply, reply, setHeader } from "./respond.ts";
import type { RouteFacts } from "./wide-event.ts";

// One pipeline for every ingest route (the four JSON routes, the drain, OTLP): a route declares its formats and a
// decode that is pure of the request's context; reading, size, signature, identity, provenance, decoding, the wide
// event's counts and the acknowledgement run here, once, in this order. The body's facts are one value (Body),
// passed along: nothing about the body travels through the context.

/** A request body as decode receives it. */
export interface Body<F extends string = string> {
	format: F;
	/** Bytes as received (still compressed when Content-Encoding was set). */
	raw: Bytes;
	/** Bytes after decompression (the same array when none). */
	decoded: Bytes;
	/** The decoded bytes as text; "" for a binary format (read as bytes only). */
	text: string;
	/** Bytes on the wire. */
	bytes: number;
	/** Parsing the body cannot yield a lone UTF-16 surrogate: its rows need no repair. */
	wellFormed: boolean;
}

/** What decode may consult besides the body: read-only stores, never the request. */
export interface Lookups {
	sourceMaps: SourceMapStore;
	/** The price table (LLM cost): the isolate's copy at once, or a promise when it must be read; ask only when needed. */
	prices(): PriceBook | undefined | Promise<PriceBook | undefined>;
}

/** A body turned into rows, or into an answer of its own (a drain's verification, an OTLP export it cannot read). */
export type Decoded =
	| {
			writes: Write[];
			reply: Reply;
			/** Items accepted (the wide event's `count`). */
			count: number;
			/** Field paths clipped to their bound, over all rows (the wide event's `truncated`). */
			truncated?: number;
			rejected?: Rejections;
			/** Facts for the wide event only this route knows (how an error was symbolicated). */
			facts?: RouteFacts;
	  }
	| { answer: { status: number; reply: Reply; outcome: string }; rejected?: Rejections };

export interface Intake<F extends string> {
	/** The route's name: what identifies its requests with others (never the raw path, which has spellings). */
	route: string;
	/** The body's format for a Content-Type; undefined: 415. */
	format(contentType: string | undefined): F | undefined;
	/** Formats read as bytes only (a protobuf, a drain read entry by entry): no text is made of them. */
	binary?(format: F): boolean;
	/** Redeliveries send the same body without an Idempotency-Key (drains, OTLP exporters): the body is the identity. */
	sameBodySameRequest?: boolean;
	/** Refuses a body its signature does not cover (drains), before anything else is done with it. */
	verify?(body: Body<F>, key: ApiKeyRecord, headers: Headers): Promise<Failure | undefined>;
	decode(body: Body<F>, p: Provenance, lookups: Lookups): Decoded | Promise<Decoded>;
	/** The route's own rendering of a body it cannot read (OTLP: a google.rpc.Status in the request's encoding). */
	unreadable?(format: F, failure: Failure): Reply | undefined;
}

/** The sender as the DeepTracer SDK names itself (x-deeptracer-sdk: "core/0.8.3"), bounded; "" when absent. */
function senderOf(req: Request): string {
	const sdk = req.headers.get("x-deeptracer-sdk");
	return sdk === null ? "" : clip(sdk.trim(), LIMITS.name);
}

/** The parsed JSON of a body, or the documented 400 for malformed JSON. */
export function jsonOf(body: Body): unknown {
	const parsed = parseJson(body.text);
	if (!parsed.ok) throw new FailureError({ kind: "malformed_json" });
	return parsed.value;
}

/** The handler of an ingest route: behind the gate (http/ingest-gate.ts), which has set the key. */
export function intake<F extends string>(spec: Intake<F>, deps: Deps) {
	const now = deps.now;
	return async function intakeHandler(c: Context<AppEnv>): Promise<Response> {
		const event = c.get("event");
		const format = spec.format(c.req.header("content-type"));
		if (format === undefined) throw new FailureError({ kind: "unsupported_media_type", what: "content-type" });
		const binary = spec.binary?.(format) ?? false;
		const read = await readBody(c.req.raw, MAX_BODY_BYTES, { binary });
		if (!read.ok) {
			const own = read.failure.kind === "undecodable_body" ? spec.unreadable?.(format, read.failure) : undefined;
			if (!own) throw new FailureError(read.failure);
			event.outcome = "undecodable_body";
			return reply(c, own, 400);
		}
		event.bytes = read.bytes;
		event.format = format;
		const wellFormed = binary ? bytesParseWellFormed(read.decoded) : parsesWellFormed(read.text);
		const body: Body<F> = {
			format,
			raw: read.raw,
			decoded: read.decoded,
			text: read.text,
			bytes: read.bytes,
			wellFormed,
		};

		const key = c.get("apiKey");
		if (spec.verify) {
			const refused = await spec.verify(body, key, c.req.raw.headers);
			if (refused) throw new FailureError(refused);
		}
		const scope = { project: key.projectId, route: spec.route, sameBody: spec.sameBodySameRequest === true };
		const identity = await identify(c.req.header("idempotency-key"), scope, read.decoded);
		if (identity?.key !== undefined) setHeader(c, "Idempotency-Key", identity.key);
		const p: Provenance = { projectId: key.projectId, apiKeyId: key.id, receivedAt: now(), sdk: senderOf(c.req.raw) };
		if (p.sdk !== "") event.sdk = p.sdk;
		const services = c.get("services");
		const lookups: Lookups = {
			sourceMaps: services.sourceMaps,
			prices: () => currentPrices(services, p.receivedAt, (work) => c.executionCtx.waitUntil(work)),
		};

		const decoded = await spec.decode(body, p, lookups);
		const rejected = decoded.rejected ? rejectedCount(decoded.rejected) : 0;
		if (rejected > 0) Object.assign(event, { rejected, rejected_reasons: decoded.rejected });
		if ("answer" in decoded) {
			event.outcome = decoded.answer.outcome;
			return reply(c, decoded.answer.reply, decoded.answer.status);
		}
		event.count = decoded.count;
		if (decoded.truncated) event.truncated = decoded.truncated;
		if (decoded.facts) Object.assign(event, decoded.facts);
		const writes = decoded.writes.filter((w) => w.rows.length > 0);
		// Nothing to store (an empty export, or everything rejected but answered 200): no write.
		if (writes.length === 0) return reply(c, decoded.reply);
		return acknowledge(c, {
			writes,
			reply: decoded.reply,
			identity,
			receivedAt: p.receivedAt,
			wellFormed,
			wait: c.req.query("wait") === "true",
			services,
			delivery: deps.delivery,
		});
	};
}
