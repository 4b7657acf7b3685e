import type { Context, Next } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv, Deps, EventTable } from "../context.ts";
import { accept, provenance, type Write } from "../http/accept.ts";
import { MAX_BODY_BYTES, mediaType, readBody } from "../http/body.ts";
import { FailureError } from "../http/errors.ts";
import { noteIdempotency } from "../http/idempotency.ts";
import { ingestGate } from "../http/ingest-gate.ts";
import { json as jsonResponse, respond } from "../http/respond.ts";
import {
	type Encoding,
	exportResponseJson,
	exportResponseProtobuf,
	INVALID_ARGUMENT,
	PROTOBUF,
	type Signal,
	statusProtobuf,
} from "../otlp/response.ts";

type OtlpExport = typeof import("../otlp/export.ts");
// Decoders, OTLP/JSON schemas and row mapping load on the first OTLP request (a dynamic import is evaluated
// lazily in the bundle): building them at startup would cost every new isolate, OTLP or not. The module object
// is plain data shared by later requests; nothing request-bound.
let loaded: OtlpExport | undefined;
async function loadOtlpExport(): Promise<OtlpExport> {
	loaded ??= await import("../otlp/export.ts");
	return loaded;
}

/** google.rpc.Code of an error answer's HTTP status (OTLP/HTTP's mapping; anything else UNKNOWN). */
const RPC_CODE: Record<number, number> = {
	400: INVALID_ARGUMENT,
	401: 16, // UNAUTHENTICATED
	403: 7, // PERMISSION_DENIED
	404: 5, // NOT_FOUND
	413: INVALID_ARGUMENT,
	415: INVALID_ARGUMENT,
	429: 8, // RESOURCE_EXHAUSTED
	500: 13, // INTERNAL
	503: 14, // UNAVAILABLE
};
const UNKNOWN = 2;

const isProtobuf = (contentType: string | undefined) => {
	const type = mediaType(contentType);
	return type === PROTOBUF || type === "application/protobuf";
};

/**
 * A protobuf request expects a protobuf google.rpc.Status in an error answer (OTLP/HTTP). Failures are rendered
 * once, as JSON (src/http/errors.ts), wherever they happen (the gate included): this re-encodes that answer,
 * keeping its status, headers and message.
 */
async function protobufErrors(c: Context<AppEnv>, next: Next): Promise<void> {
	await next();
	const res = c.res;
	if (
		res.ok ||
		!isProtobuf(c.req.header("content-type")) ||
		mediaType(res.headers.get("content-type") ?? "") === PROTOBUF
	)
		return;
	const body = (await res
		.clone()
		.json()
		.catch(() => ({}))) as { error?: unknown };
	const message = typeof body.error === "string" ? body.error : "";
	const headers = new Headers(res.headers);
	headers.set("content-type", PROTOBUF);
	c.res = undefined;
	c.res = new Response(statusProtobuf(RPC_CODE[res.status] ?? UNKNOWN, message), { status: res.status, headers });
}

function encodingOf(contentType: string | undefined): Encoding {
	if (isProtobuf(contentType)) return "protobuf";
	const type = mediaType(contentType);
	// A missing type is read as JSON, as on every other route.
	if (type === "application/json" || type === "") return "json";
	throw new FailureError({ kind: "unsupported_media_type", what: "content-type" });
}

/** A 400 in the OTLP shape (google.rpc.Status) and the request's encoding: the sender must not retry it. */
function badRequest(c: Context<AppEnv>, encoding: Encoding, message: string): Response {
	c.get("event").outcome = "malformed_otlp";
	if (encoding === "json") return jsonResponse(c, { code: INVALID_ARGUMENT, message }, 400);
	return respond(c, statusProtobuf(INVALID_ARGUMENT, message), 400, PROTOBUF);
}

function exportHandler(signal: Signal, now: () => number) {
	return async function otlpExport(c: Context<AppEnv>): Promise<Response> {
		const encoding = encodingOf(c.req.header("content-type"));
		const body = await readBody(c.req.raw, MAX_BODY_BYTES, {
			binary: encoding === "protobuf",
			contentLength: c.get("contentLength"),
		});
		if (!body.ok) {
			if (body.failure.kind === "undecodable_body") return badRequest(c, encoding, body.failure.reason);
			throw new FailureError(body.failure);
		}
		const event = c.get("event");
		event.bytes = body.bytes;
		event.otlp_encoding = encoding;
		await noteIdempotency(c, body.decoded, now());

		const otlp = await loadOtlpExport();
		const decoded = otlp.decode(signal, encoding, body.decoded, body.text);
		if (!decoded.ok) return badRequest(c, encoding, decoded.message);

		const mapped = otlp.toRows(signal, decoded.value, provenance(c, now()), body.decoded.byteLength);
		const message = otlp.rejectionMessage(mapped.reasons);
		event.count = mapped.rows.length;
		if (mapped.rejected > 0) Object.assign(event, { rejected: mapped.rejected, rejected_reasons: message });
		if (mapped.llm.length > 0) event.llm_count = mapped.llm.length;

		const json = exportResponseJson(signal, mapped.rejected, message);
		const writes: Write[] = [];
		const table: EventTable = signal === "traces" ? "spans" : "logs";
		if (mapped.rows.length > 0) writes.push({ table, rows: mapped.rows });
		if (mapped.llm.length > 0) writes.push({ table: "llm_usage", rows: mapped.llm });
		// Nothing to store (an empty export, or everything rejected): answer without a write.
		const response = writes.length > 0 ? await accept(c, writes, json) : jsonResponse(c, json);
		if (encoding === "json") return response;
		// The same answer (status, headers accept set) in protobuf.
		return respond(c, exportResponseProtobuf(mapped.rejected, message), 200, PROTOBUF);
	};
}

/** /v1/traces and /v1/logs (OTLP/HTTP): the middleware chain of /ingest/*, then protobuf or JSON. */
export function otlpRoutes(deps: Deps) {
	const now = deps.now;
	const app = new Hono<AppEnv>();
	app.use(protobufErrors);
	app.use(ingestGate(deps));
	app.post("/traces", exportHandler("traces", now));
	app.post("/logs", exportHandler("logs", now));
	return app;
}
