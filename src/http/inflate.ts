// Decompression of request bodies, bounded by the body limit before anything is held in memory.

import { concatBytes } from "../util/bytes.ts";

/** Bytes backed by a plain ArrayBuffer (what Blob, crypto and TextDecoder take in every lib typing). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Reads at most `max` bytes from a stream; null when there are more. */
export async function collect(stream: ReadableStream<Uint8Array>, max: number): Promise<Bytes | null> {
	const reader = stream.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > max) {
			await reader.cancel().catch(() => undefined);
			return null;
		}
		chunks.push(value);
	}
	if (chunks.length === 1 && chunks[0]?.buffer instanceof ArrayBuffer) return chunks[0] as Bytes;
	return concatBytes(chunks, total);
}

export type Inflated = { ok: true; bytes: Bytes } | { ok: false; why: "too_large" | "invalid" };
type Attempt = { ok: true; bytes: Bytes } | { ok: false; why: "too_large" | "invalid" | "trailing" | "truncated" };

/** One compressed stream; a failure says whether bytes followed its end or it ended too soon (workerd's wording). */
async function inflateOnce(bytes: Bytes, format: "gzip" | "deflate", max: number): Promise<Attempt> {
	try {
		const out = await collect(new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format)), max);
		return out ? { ok: true, bytes: out } : { ok: false, why: "too_large" };
	} catch (err) {
		const message = err instanceof Error ? err.message : "";
		if (/trailing/i.test(message)) return { ok: false, why: "trailing" };
		if (/incomplete|unexpected end/i.test(message)) return { ok: false, why: "truncated" };
		return { ok: false, why: "invalid" };
	}
}

/** Members read from one gzip body at most: real senders concatenate a few (`cat a.gz b.gz`, appending loggers). */
export const MAX_GZIP_MEMBERS = 64;
/**
 * Bisection steps to find one member's end: 2^12 candidate starts after it, where a real body has one per member
 * and random compressed bytes one in 16 MB. The cap keeps the cost linear: at most this many passes per member.
 */
const MAX_STEPS = 12;

/**
 * The body decompressed, at most `max` bytes. A gzip body may hold several members one after another (RFC 1952);
 * DecompressionStream reads one and calls the rest trailing bytes, without saying where its member ended. That end
 * is found by bisection over the places a next member can start (1f 8b 08): a prefix cut before the end is
 * "incomplete", one cut after it has "trailing bytes". A single-member body costs one pass, as before; each
 * further member at most MAX_STEPS passes over itself, and there are at most MAX_GZIP_MEMBERS.
 */
export async function inflate(raw: Bytes, format: "gzip" | "deflate", max: number): Promise<Inflated> {
	const parts: Bytes[] = [];
	let total = 0;
	let starts: number[] | undefined;
	for (let start = 0, members = 0; start < raw.length; members++) {
		if (members >= MAX_GZIP_MEMBERS) return { ok: false, why: "invalid" };
		const rest = await inflateOnce(start === 0 ? raw : raw.subarray(start), format, max - total);
		if (rest.ok) {
			parts.push(rest.bytes);
			total += rest.bytes.byteLength;
			break;
		}
		if (rest.why !== "trailing" || format !== "gzip")
			return { ok: false, why: rest.why === "too_large" ? "too_large" : "invalid" };
		starts ??= memberStarts(raw);
		const member = await firstMember(raw, start, starts, max - total);
		if (!member.ok) return member;
		parts.push(member.bytes);
		total += member.bytes.byteLength;
		start = member.end;
	}
	return { ok: true, bytes: parts.length === 1 ? (parts[0] as Bytes) : concatBytes(parts, total) };
}

/** Offsets where a gzip member can start (ID1 ID2 CM=deflate), in order. */
function memberStarts(raw: Bytes): number[] {
	const out: number[] = [];
	for (let i = raw.indexOf(0x1f, 1); i !== -1; i = raw.indexOf(0x1f, i + 1)) {
		if (raw[i + 1] === 0x8b && raw[i + 2] === 0x08) out.push(i);
	}
	return out;
}

async function firstMember(
	raw: Bytes,
	start: number,
	starts: number[],
	max: number,
): Promise<{ ok: true; bytes: Bytes; end: number } | { ok: false; why: "too_large" | "invalid" }> {
	let lo = 0;
	let hi = starts.length - 1;
	while (lo < starts.length && (starts[lo] as number) <= start) lo++;
	for (let step = 0; lo <= hi && step < MAX_STEPS; step++) {
		const mid = (lo + hi) >>> 1;
		const end = starts[mid] as number;
		const r = await inflateOnce(raw.subarray(start, end), "gzip", max);
		if (r.ok) return { ok: true, bytes: r.bytes, end };
		if (r.why === "trailing") hi = mid - 1;
		else if (r.why === "truncated") lo = mid + 1;
		else return { ok: false, why: r.why === "too_large" ? "too_large" : "invalid" };
	}
	return { ok: false, why: "invalid" };
}
