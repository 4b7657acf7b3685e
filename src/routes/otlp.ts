import type { Context, Next } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv, Deps } from "../http/app-env.ts";
import { mediaType } from "../http/body.ts";
import { ingestGate } from "../http/ingest-gate.ts";
import { type Decoded, type Intake, intake } from "../http/intake.ts";
import type { Reply } from "../http/respond.ts";
import { rejectedCount, rejectionMessage } from "../ingest/rejections.ts";
import {
	type Encoding,
	exportResponseJson,
	exportResponseProtobuf,
	INVALID_ARGUMENT,
	PROTOBUF,
	type Signal,
	statusProtobuf,
} from "../otlp/response.ts";
import { priceAll } from "../prices/apply.ts";
import { vercelSignature, vercelVerify } from "./vercel.ts";

type OtlpExport = typeof import("../otlp/export.ts");
// Decoders and row mapping load on the first OTLP request (a dynamic import is evaluated
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

function encodingOf(contentType: string | undefined): Encoding | undefined {
	if (isProtobuf(contentType)) return "protobuf";
	const type = mediaType(contentType);
	// A missing type is read as JSON, as on every other route.
	return type === "application/json" || type === "" ? "json" : undefined;
}

/** A 400 in the OTLP shape (google.rpc.Status) and the request's encoding: the sender must not retry it. */
function status400(encoding: Encoding, message: string): Reply {
	if (encoding === "json") return { json: { code: INVALID_ARGUMENT, message } };
	return { bytes: statusProtobuf(INVALID_ARGUMENT, message), contentType: PROTOBUF };
}

/** An OTLP/HTTP export of one signal: spans (GenAI spans also llm_usage rows) or log records. */
function otlpExport(signal: Signal): Intake<Encoding> {
	return {
		route: `otlp-${signal}`,
		format: encodingOf,
		binary: (encoding) => encoding === "protobuf",
		// Exporters retry a timed-out export with the same bytes and no Idempotency-Key.
		sameBodySameRequest: true,
		// A Vercel trace drain signs its exports as every drain does; other exporters send no signature.
		verify: vercelSignature(false),
		unreadable: (encoding, failure) =>
			failure.kind === "undecodable_body" ? status400(encoding, failure.reason) : undefined,
		async decode(body, p, lookups): Promise<Decoded> {
			const otlp = await loadOtlpExport();
			const request = await otlp.decode(signal, body.format, body.decoded, body.text);
			if (!request.ok)
				return { answer: { status: 400, reply: status400(body.format, request.message), outcome: "malformed_otlp" } };
			const mapped = await otlp.toRows(signal, request.value, p, body.decoded.byteLength);
			// GenAI spans without a cost of their own: the price table is asked only when there are some.
			const priced = await priceAll(mapped.pricing, lookups.prices, p.receivedAt);
			const rejected = rejectedCount(mapped.rejected);
			const message = rejectionMessage(mapped.rejected);
			const reply: Reply =
				body.format === "json"
					? { json: exportResponseJson(signal, rejected, message) }
					: { bytes: exportResponseProtobuf(rejected, message), contentType: PROTOBUF };
			return {
				writes: [
					{ table: signal === "traces" ? "spans" : "logs", rows: mapped.rows },
					{ table: "llm_usage", rows: mapped.llm },
				],
				reply,
				count: mapped.rows.length,
				rejected: mapped.rejected,
				truncated: mapped.clips.total,
				...(priced ? {} : { facts: { prices: "unavailable" } }),
			};
		},
	};
}

/** /v1/traces and /v1/logs (OTLP/HTTP): the ingest gate, then the intake pipeline, protobuf or JSON. */
export function otlpRoutes(deps: Deps) {
	const app = new Hono<AppEnv>();
	app.use(protobufErrors);
	// Vercel trace drains expect the project's verification code, as log drains do: around the gate.
	app.use(vercelVerify);
	app.use(ingestGate(deps));
	app.post("/traces", intake(otlpExport("traces"), deps));
	app.post("/logs", intake(otlpExport("logs"), deps));
	return app;
}
