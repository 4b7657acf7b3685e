import type { Context, Next } from "hono";
import { secondsToWindowEnd } from "../auth/abuse.ts";
import { API_KEY_FORMAT, hashApiKey } from "../auth/key.ts";
import { lookupKey, touchDue, touchKey } from "../auth/lookup.ts";
import type { AppEnv } from "../context.ts";
import { FailureError } from "./errors.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const HASH_CACHE_MAX = 1_000;

// Isolate-lifetime: the SHA-256 of recently seen keys, so a key's hash is computed once per isolate, not per request.
const keyHashes = new Map<string, string>();

async function hashOf(key: string): Promise<string> {
	let hash = keyHashes.get(key);
	if (hash === undefined) {
		hash = await hashApiKey(key);
		if (keyHashes.size >= HASH_CACHE_MAX) keyHashes.clear();
		keyHashes.set(key, hash);
	}
	return hash;
}

/** Authenticates `Authorization: Bearer dt_…`; sets c.var.apiKey. 401 for anything but a live key, 503 when unverifiable. */
export function authenticate(opts: { now: () => number }) {
	return async function authMiddleware(c: Context<AppEnv>, next: Next) {
		const event = c.get("event");
		const key = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
		if (!key || !API_KEY_FORMAT.test(key)) throw new FailureError({ kind: "unauthorized" });

		const services = c.get("services");
		const now = opts.now();
		const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
		// Set by Cloudflare's edge; absent locally, where every client shares one bucket.
		const clientIp = c.req.header("cf-connecting-ip") ?? "unknown";
		const result = await lookupKey(await hashOf(key), services, now, defer, clientIp);
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
		if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) {
			throw new FailureError({ kind: "unauthorized" });
		}
		c.set("apiKey", record);
		if (touchDue(record.id, now)) defer(touchKey(record.id, services, now).catch(() => undefined));
		await next();
	};
}
