import { mediaType } from "./body.ts";

/**
 * Browser beacons. `navigator.sendBeacon` cannot set headers, so a page flushing its last logs on `pagehide` cannot
 * send `Authorization`; it may put the key in the query string instead (`?key=dt_…`, as Sentry's browser SDK does
 * with its public key), and only for what a beacon sends:
 *
 * - a POST with a `text/plain` body (a string beacon), an `Origin`, and no `Authorization` header (`beaconKey`);
 * - with a key that has an origin allow-list (`beaconKeyAccepted`, once the key is looked up);
 * - from an origin on that list (the origin check every browser request passes, `checkOrigin`).
 *
 * Such a key is meant for one site's pages and is readable in them anyway. The URL is never logged or stored: the
 * wide event's `route` is the path alone, and nothing else records the URL.
 */
export function beaconKey(req: Request): string | undefined {
	const headers = req.headers;
	if (req.method !== "POST" || headers.has("authorization") || !headers.has("origin")) return undefined;
	if (mediaType(headers.get("content-type") ?? undefined) !== "text/plain") return undefined;
	const query = req.url.indexOf("?");
	if (query === -1) return undefined;
	return new URLSearchParams(req.url.slice(query + 1)).get("key") ?? undefined;
}

/** A key taken from the URL counts only when the key is restricted to listed origins. */
export function beaconKeyAccepted(allowedOrigins: readonly string[]): boolean {
	return allowedOrigins.length > 0;
}
