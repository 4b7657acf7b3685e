import type { Context } from "hono";
import { recentlyFailed, throttledForSeconds } from "../auth/abuse.ts";
import { API_KEY_FORMAT, hashApiKey } from "../auth/key.ts";
import {
	isolateLookup,
	type KeyLookup,
	lookupKeyOnce,
	refreshDue,
	refreshKey,
	touchDue,
	touchKey,
} from "../auth/lookup.ts";
import type { ApiKeyRecord } from "../ports.ts";
import { type EdgeLimits, type LimitDecision, prime } from "../ratelimit/edge.ts";
import { afterResponse } from "../util/after-response.ts";
import type { AppEnv } from "./app-env.ts";
import { beaconKey, beaconKeyAccepted } from "./beacon.ts";
import { FailureError } from "./errors.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const HASH_CACHE_MAX = 1_000;

// Isolate-lifetime: the SHA-256 of recently seen keys, so a key's hash is computed once per isolate, not per request.
const keyHashes = new Map<string, string>();

async function hashAndRemember(key: string): Promise<string> {
	const hash = await hashApiKey(key);
	if (keyHashes.size >= HASH_CACHE_MAX) keyHashes.clear();
	keyHashes.set(key, hash);
	return hash;
}

/** Who is calling: the key's record, its hash (the rate limit's identifier), and a limit call begun with the lookup. */
export interface Caller {
	record: ApiKeyRecord;
	keyHash: string;
	/** A key new to the isolate: the rate-limit call made alongside the lookup, with the default limit. */
	primed?: Promise<LimitDecision>;
}

/**
 * Authenticates `Authorization: Bearer dt_…` (or a browser beacon's `?key=`, src/http/beacon.ts). 401 for anything but a live key, 503 when unverifiable. A key known
 * to the isolate is answered synchronously (nothing awaited); a new one costs one round trip when Redis has it,
 * with its rate-limit call sent alongside.
 */
export function authenticate(c: Context<AppEnv>, now: number, limits: EdgeLimits): Caller | Promise<Caller> {
	const bearer = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
	const key = bearer ?? beaconKey(c.req.raw);
	if (!key || !API_KEY_FORMAT.test(key)) throw new FailureError({ kind: "unauthorized" });
	const via: Via = bearer === undefined ? "beacon" : "header";
	const hash = keyHashes.get(key);
	if (hash === undefined) return hashAndRemember(key).then((h) => byHash(c, h, via, now, limits));
	return byHash(c, hash, via, now, limits);
}

type Via = "header" | "beacon";

function byHash(
	c: Context<AppEnv>,
	keyHash: string,
	via: Via,
	now: number,
	limits: EdgeLimits,
): Caller | Promise<Caller> {
	const local = isolateLookup(keyHash, now);
	if (local) {
		if (refreshDue(keyHash, now)) {
			const defer = deferOf(c);
			afterResponse(defer, () => refreshKey(keyHash, c.get("services"), now, defer, clientIp(c)));
		}
		return { record: accept(c, local, via, now), keyHash };
	}
	return lookUp(c, keyHash, via, now, limits);
}

async function lookUp(c: Context<AppEnv>, keyHash: string, via: Via, now: number, limits: EdgeLimits): Promise<Caller> {
	const ip = clientIp(c);
	// Not for an address that is guessing keys: a flood must not write limiter state for keys that do not exist.
	const primed = recentlyFailed(ip, now) ? undefined : prime(keyHash, c.get("config").rateLimitPerMinute, limits);
	// Settled even when the key is refused: its answer lands in the budget; nobody else awaits it.
	primed?.catch(() => undefined);
	const result = await lookupKeyOnce(keyHash, c.get("services"), now, deferOf(c), ip);
	return { record: accept(c, result, via, now), keyHash, primed };
}

/** The record of a live key, or the request's refusal; records use, in the background, at most once a minute. */
function accept(c: Context<AppEnv>, result: KeyLookup, via: Via, now: number): ApiKeyRecord {
	const event = c.get("event");
	if (!result.ok) {
		if (result.reason === "throttled") {
			throw new FailureError({ kind: "auth_throttled", retryAfterSeconds: throttledForSeconds(clientIp(c), now) });
		}
		throw new FailureError({ kind: result.reason === "unavailable" ? "auth_unavailable" : "unauthorized" });
	}
	const record = result.record;
	event.key_id = record.id;
	event.project_id = record.projectId;
	event.auth_source = result.source;
	if (via === "beacon") {
		event.auth_via = "beacon";
		if (!beaconKeyAccepted(record.allowedOrigins)) throw new FailureError({ kind: "unauthorized" });
	}
	if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
		throw new FailureError({ kind: "unauthorized" });
	}
	c.set("apiKey", record);
	if (touchDue(record.id, now)) {
		afterResponse(deferOf(c), () => touchKey(record.id, c.get("services")));
	}
	return record;
}

/** The request's waitUntil, for background work. */
const deferOf = (c: Context<AppEnv>) => (work: Promise<unknown>) => c.executionCtx.waitUntil(work);

/** Set by Cloudflare's edge; absent locally, where every client shares one bucket. */
const clientIp = (c: Context<AppEnv>) => c.req.header("cf-connecting-ip") ?? "unknown";
