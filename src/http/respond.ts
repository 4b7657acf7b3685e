import type { Context } from "hono";
import type { AppEnv } from "./app-env.ts";

// Response headers are gathered in a plain object and handed to the Response once. Hono's c.header() builds a
// Headers object that the Response then copies, validating every header twice: a tenth of a small request.

function headersOf(c: Context): Record<string, string> {
	const headers = (c as Context<AppEnv>).get("headers");
	if (headers) return headers;
	const fresh: Record<string, string> = {};
	(c as Context<AppEnv>).set("headers", fresh);
	return fresh;
}

/** Sets a header of this request's response, whichever response it turns out to be (errors included). */
export function setHeader(c: Context, name: string, value: string): void {
	headersOf(c)[name] = value;
}

/** The response, with every header set so far. */
export function respond(c: Context, body: BodyInit | null, status: number, contentType?: string): Response {
	const headers = headersOf(c);
	if (contentType) headers["Content-Type"] = contentType;
	return new Response(body, { status, headers });
}

export function json(c: Context, value: unknown, status = 200): Response {
	return respond(c, JSON.stringify(value), status, "application/json");
}

/** What a route answers: a JSON body, or bytes of its own content type (OTLP's protobuf). */
export type Reply = { json: object } | { bytes: Uint8Array<ArrayBuffer>; contentType: string };

export function reply(c: Context, r: Reply, status = 200): Response {
	return "json" in r ? json(c, r.json, status) : respond(c, r.bytes, status, r.contentType);
}
