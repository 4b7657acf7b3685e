import type { FirstAttempt, IdempotencyLedger } from "../ports.ts";
import { sha256Hex } from "../util/hex.ts";
import { withTimeout } from "../util/timeout.ts";
import type { Bytes } from "./body.ts";
import { FailureError } from "./errors.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** The ledger is asked before the rows are written: past this they are written unpinned (dedup then holds within the day). */
const LEDGER_TIMEOUT_MS = 500;

/**
 * What makes two requests one: a client's retry sends the same Idempotency-Key and body (any route), and a drain or
 * an OTLP exporter redelivers the same body (routes whose intake says so). Scoped by project and route, never by
 * anything else the client sends, so that no other request can collide with it.
 */
export interface Identity {
	/** The Idempotency-Key, echoed on the answer; undefined for an identity read from the body alone. */
	key: string | undefined;
	/** The ledger's entry and the base of the chunks' insert_deduplication_token. */
	token: string;
}

/**
 * The request's identity, or undefined when it has none (a plain SDK request: two identical log batches can be two
 * real events). Costs one hash of the body, no I/O: the ledger is asked when the rows are about to be written.
 */
export async function identify(
	header: string | undefined,
	scope: { project: string; route: string; sameBody: boolean },
	body: Bytes,
): Promise<Identity | undefined> {
	if (header === undefined && !scope.sameBody) return undefined;
	if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
		throw new FailureError({
			kind: "invalid_header",
			message: "Idempotency-Key must be 1-255 visible ASCII characters",
		});
	}
	const bodyHash = await bodyDigest(body);
	const name = header === undefined ? `body\n${scope.route}` : `key\n${scope.route}\n${header}`;
	const token = `idem-${(await sha256Hex(`${scope.project}\n${name}\n${bodyHash}`)).slice(0, 40)}`;
	return { key: header, token };
}

/** Slices a body is hashed in: the runtime copies what it hashes, and a 5 MB drain batch hashed whole was a second copy of it. */
const DIGEST_SLICE_BYTES = 1024 * 1024;

/**
 * SHA-256 of the body, or past one slice of the SHA-256 of its slices' digests in order (the number of slices and
 * each one's bytes are bound by it, so it names the body as surely as one digest would).
 */
async function bodyDigest(body: Bytes): Promise<string> {
	if (body.byteLength <= DIGEST_SLICE_BYTES) return sha256Hex(body);
	let digests = "";
	for (let at = 0; at < body.byteLength; at += DIGEST_SLICE_BYTES)
		digests += await sha256Hex(body.subarray(at, at + DIGEST_SLICE_BYTES));
	return sha256Hex(`slices\n${digests}`);
}

/**
 * The first attempt of the request, from the ledger (this one when it is the first, or when the ledger cannot be
 * asked in time: `known` false). Every attempt's rows carry the first's time, so they land in its partition and
 * ClickHouse's token drops a second copy even across UTC midnight.
 */
export async function firstAttempt(
	ledger: IdempotencyLedger,
	token: string,
	receivedAt: number,
): Promise<FirstAttempt & { known: boolean }> {
	try {
		return { ...(await withTimeout(ledger.claim(token, receivedAt), LEDGER_TIMEOUT_MS)), known: true };
	} catch {
		return { receivedAt, held: false, known: false };
	}
}
