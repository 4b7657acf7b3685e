import type { Context } from "hono";
import { secondsToWindowEnd } from "../auth/abuse.ts";
import { API_KEY_FORMAT, hashApiKey } from "../auth/key.ts";
import { isolateLookup, lookupKey, touchDue, touchKey } from "../auth/lookup.ts";
import type { AppEnv } from "../context.ts";
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

/** Authenticates `Authorization: Bearer dt_…`; sets c.var.apiKey. 401 for anything but a live key, 503 when unverifiable. */
export async function authenticate(c: Context<AppEnv>, clock: () => number): Promise<void> {
	const event = c.get("event");
	const bearer = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
	const key = bearer ?? beaconKey(c.req.raw);
	if (!key || !API_KEY_FORMAT.test(key)) throw new FailureError({ kind: "unauthorized" });

	const services = c.get("services");
	const now = clock();
	const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
	// The warm path (hash and record known to this isolate) does not wait on anything.
	const hash = keyHashes.get(key) ?? (await hashAndRemember(key));
	const result =
		isolateLookup(hash, now) ??
		// Set by Cloudflare's edge; absent locally, where every client shares one bucket.
		(await lookupKey(hash, services, now, defer, c.req.header("cf-connecting-ip") ?? "unknown"));
	if (!result.ok) {
		if (result.reason === "throttled") {
			event.outcome = "auth_throttled";
			throw new FailureError({ kind: "rate_limited", retryAfterSeconds: secondsToWindowEnd(now) });
		}
		throw new FailureError({ kind: result.reason === "unavailable" ? "auth_unavailable" : "unauthorized" });
	}
	const record = result.record;
	event.key_id = record.id;
	event.project_id = record.projectId;
	event.auth_source = result.source;
	if (bearer === undefined) {
		event.auth_via = "beacon";
		if (!beaconKeyAccepted(record.allowedOrigins)) throw new FailureError({ kind: "unauthorized" });
	}
	if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
		throw new FailureError({ kind: "unauthorized" });
	}
	c.set("apiKey", record);
	if (touchDue(record.id, now)) defer(touchKey(record.id, services, now).catch(() => undefined));
}
