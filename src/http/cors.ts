import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";
import { respond, setHeader } from "./respond.ts";

export const ALLOWED_REQUEST_HEADERS =
	"authorization, content-type, content-encoding, x-deeptracer-sdk, idempotency-key, x-request-id";
const EXPOSED_HEADERS = "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after, x-request-id";

/**
 * CORS for the ingest routes. A browser always sends Origin on these (cross-origin POSTs), so the CORS headers
 * go on every response to a request with an Origin, errors included, and on no other (SDKs on servers, drains).
 */
export function corsHeaders(c: Context<AppEnv>, origin: string): void {
	setHeader(c, "Access-Control-Allow-Origin", origin);
	setHeader(c, "Vary", "Origin");
	setHeader(c, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
}

/** Preflights always succeed: they carry no key. */
export function preflight(c: Context<AppEnv>, origin: string | undefined): Response {
	c.get("event").outcome = "preflight";
	setHeader(c, "Access-Control-Allow-Origin", origin ?? "*");
	setHeader(c, "Vary", "Origin");
	setHeader(c, "Access-Control-Allow-Methods", "POST, OPTIONS");
	setHeader(c, "Access-Control-Allow-Headers", ALLOWED_REQUEST_HEADERS);
	setHeader(c, "Access-Control-Max-Age", "86400");
	return respond(c, null, 204);
}

/** True when `origin` is allowed by the key's list: exact scheme://host[:port], or `scheme://*.domain` for subdomains. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
	if (allowed.length === 0) return true;
	const o = origin.toLowerCase();
	for (const entry of allowed) {
		if (entry === o) return true;
		const star = entry.indexOf("://*.");
		if (star === -1) continue;
		const scheme = entry.slice(0, star + 3);
		const suffix = entry.slice(star + 4); // ".example.com[:port]"
		if (o.startsWith(scheme) && o.endsWith(suffix) && o.length > scheme.length + suffix.length) {
			const sub = o.slice(scheme.length, o.length - suffix.length);
			if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(sub)) return true;
		}
	}
	return false;
}
