/**
 * A streaming multipart/form-data reader: part headers, then each part's body piece by piece as the request
 * delivers it, so a caller can hold, scan or skip a part without the reader ever holding more than a chunk.
 *
 * Written here, not taken from @remix-run/multipart-parser (0.16.3, its newest release): that parser yields a part
 * only once it is whole (the caller cannot stream it), and where there is no Buffer (workerd) it searches for the
 * boundary with its own Boyer-Moore-Horspool, O(body × boundary) on repeated bytes: a 4,000-character boundary
 * over 1 MB blocked the isolate for seconds. Here the boundary is at most 70 characters (RFC 2046) of the
 * characters RFC 2046 allows, none of them CR, so a delimiter ("\r\n--" + boundary) has its only CR first: the
 * search jumps from CR to CR with the runtime's indexOf and a comparison that matched k bytes has passed k bytes
 * without a CR, so every byte is looked at a bounded number of times, whatever the boundary.
 */

import { nextTurn } from "../util/yield.ts";

export const MAX_BOUNDARY_CHARS = 70;
/** A part's header block; a browser's is under 300 bytes. */
const MAX_HEADER_BYTES = 8 * 1024;
/** Bytes read between two turns of the event loop, whatever is done with them (a body queued in memory never waits). */
const READ_SLICE_BYTES = 256 * 1024;

const CR = 13;
const LF = 10;
const DASH = 45;

// RFC 2046 §5.1.1: bchars := bcharsnospace / " "; bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," /
// "-" / "." / "/" / ":" / "=" / "?"; 1 to 70 of them, not ending in a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

type BoundaryCheck = { ok: true; boundary: string } | { ok: false; reason: string };

/** The boundary of a multipart Content-Type, as RFC 2046 allows it. */
export function multipartBoundary(contentType: string): BoundaryCheck {
	const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
	const boundary = m ? (m[1] ?? m[2] ?? "") : "";
	if (boundary === "") return { ok: false, reason: "multipart body without a boundary" };
	if (boundary.length > MAX_BOUNDARY_CHARS)
		return { ok: false, reason: `multipart boundary over ${MAX_BOUNDARY_CHARS} characters (RFC 2046)` };
	if (!BOUNDARY.test(boundary))
		return { ok: false, reason: "multipart boundary with characters RFC 2046 does not allow" };
	return { ok: true, boundary };
}

type MultipartFailure = "malformed" | "too_large" | "closed";

export class MultipartError extends Error {
	readonly why: MultipartFailure;
	constructor(why: MultipartFailure, message: string) {
		super(message);
		this.name = "MultipartError";
		this.why = why;
	}
}

export interface PartHead {
	/** The form field's name (`name=`), if any. */
	name: string | undefined;
	/** The file name exactly as sent (see filenameOf), if the part is a file. */
	filename: string | undefined;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class MultipartReader {
	private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
	private readonly delimiter: Uint8Array;
	private readonly maxBytes: number;
	private buf: Uint8Array = EMPTY;
	/** What buf was last joined into (see join). */
	private store: Uint8Array = EMPTY;
	private pos = 0;
	private read = 0;
	private sinceTurn = 0;
	private started = false;
	/** Inside a part's body: bodyChunk() hands out its pieces until the delimiter. */
	private inBody = false;
	private done = false;

	constructor(stream: ReadableStream<Uint8Array>, boundary: string, maxBytes: number) {
		this.reader = stream.getReader();
		this.delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
		this.maxBytes = maxBytes;
	}

	/** Bytes read from the stream so far. */
	get bytesRead(): number {
		return this.read;
	}

	/** Appends the stream's next chunk to what is left unread; false at the stream's end. */
	private async more(): Promise<boolean> {
		let chunk: Uint8Array | undefined;
		try {
			const next = await this.reader.read();
			if (next.done) return false;
			chunk = next.value;
		} catch {
			// The body stopped arriving: the client hung up, or its connection broke.
			throw new MultipartError("closed", "the client closed the request before its body arrived");
		}
		this.read += chunk.byteLength;
		if (this.read > this.maxBytes) throw new MultipartError("too_large", "request body over its limit");
		this.sinceTurn += chunk.byteLength;
		if (this.sinceTurn >= READ_SLICE_BYTES) {
			this.sinceTurn = 0;
			await nextTurn();
		}
		if (!this.started) {
			// The first delimiter may open the body without the CRLF every other one has: lend it one.
			this.started = true;
			this.join(new Uint8Array([CR, LF]), chunk);
		} else if (this.pos >= this.buf.byteLength) {
			this.buf = chunk;
			this.pos = 0;
		} else this.join(this.buf.subarray(this.pos), chunk);
		return true;
	}

	/**
	 * `rest` then `chunk` as the buffer. In a body, what is left is under a delimiter's length (a possible delimiter
	 * cut by the chunk's end); a header block arriving in many chunks is all left, so a block joined before (at the
	 * start of its store) grows in place, in a store that doubles: every byte is copied a bounded number of times,
	 * however small the chunks. Only bytes past the buffer's end are written: views handed out stay as they were.
	 */
	private join(rest: Uint8Array, chunk: Uint8Array): void {
		const length = rest.byteLength + chunk.byteLength;
		const store = this.store;
		if (rest.buffer === store.buffer && rest.byteOffset === store.byteOffset && length <= store.byteLength) {
			store.set(chunk, rest.byteLength);
		} else {
			this.store = new Uint8Array(Math.max(length, 2 * rest.byteLength));
			this.store.set(rest, 0);
			this.store.set(chunk, rest.byteLength);
		}
		this.buf = this.store.subarray(0, length);
		this.pos = 0;
	}

	/**
	 * The next part's headers, or null after the closing delimiter. Whatever is left of the current part's body is
	 * skipped (read, never held). Throws MultipartError.
	 */
	async nextPart(): Promise<PartHead | null> {
		if (this.done) return null;
		if (!this.started) {
			// Before the first delimiter is a preamble (RFC 2046), read like a body nobody asked for.
			this.inBody = true;
		}
		while (this.inBody) await this.bodyChunk();
		// After a delimiter: "--" closes the body; else optional padding (spaces, tabs) and CRLF, then headers.
		for (;;) {
			let i = this.pos;
			const b = this.buf;
			if (b[i] === DASH && b[i + 1] === DASH) {
				this.done = true;
				this.reader.cancel().catch(() => undefined); // the epilogue is not read
				return null;
			}
			while (i < b.byteLength && (b[i] === 32 || b[i] === 9)) i++;
			if (i + 1 < b.byteLength) {
				if (b[i] !== CR || b[i + 1] !== LF) throw malformed("malformed multipart body");
				this.pos = i; // the headers' search starts at this CRLF: an empty header block ends at once
				break;
			}
			if (i - this.pos > 256) throw malformed("malformed multipart body");
			if (!(await this.more())) throw malformed("malformed multipart body");
		}
		const header = await this.headerBlock();
		this.inBody = true;
		return parseHead(header);
	}

	/** The header block of a part: from after the delimiter's line to the blank line (both CRLFs dropped). */
	private async headerBlock(): Promise<string> {
		let from = this.pos; // at the CRLF that ends the delimiter line
		for (;;) {
			const b = this.buf;
			for (let cr = b.indexOf(CR, from); cr !== -1 && cr + 3 < b.byteLength; cr = b.indexOf(CR, cr + 1)) {
				if (b[cr + 1] === LF && b[cr + 2] === CR && b[cr + 3] === LF) {
					const start = this.pos + 2;
					if (cr - start > MAX_HEADER_BYTES) throw malformed(`multipart part headers over ${MAX_HEADER_BYTES} bytes`);
					const text = cr > start ? decodeHeader(b.subarray(start, cr)) : "";
					this.pos = cr + 4;
					return text;
				}
			}
			if (b.byteLength - this.pos > MAX_HEADER_BYTES + 4)
				throw malformed(`multipart part headers over ${MAX_HEADER_BYTES} bytes`);
			from = Math.max(this.pos, b.byteLength - 3) - this.pos; // resume near the end: the block is kept whole
			if (!(await this.more())) throw malformed("malformed multipart body");
		}
	}

	/**
	 * The next piece of the current part's body (a view of the request's bytes: copy what must outlive the next
	 * call's chunk), or null at the part's end.
	 */
	async bodyChunk(): Promise<Uint8Array | null> {
		if (!this.inBody) return null;
		const d = this.delimiter;
		const n = d.byteLength;
		for (;;) {
			const b = this.buf;
			const len = b.byteLength;
			let end = len; // everything before `end` is body
			let found = false;
			for (let cr = b.indexOf(CR, this.pos); cr !== -1; cr = b.indexOf(CR, cr + 1)) {
				const avail = Math.min(n, len - cr);
				let k = 1;
				while (k < avail && b[cr + k] === d[k]) k++;
				if (k === n) {
					found = true;
					end = cr;
					break;
				}
				if (k === avail) {
					end = cr; // a delimiter may continue in the next chunk
					break;
				}
			}
			if (end > this.pos) {
				const piece = b.subarray(this.pos, end);
				this.pos = end;
				return piece;
			}
			if (found) {
				this.pos = end + n;
				this.inBody = false;
				return null;
			}
			if (!(await this.more())) throw malformed("malformed multipart body: it ends inside a part");
		}
	}

	/** Stops reading: the rest of the body is never read. */
	cancel(): void {
		this.done = true;
		this.inBody = false;
		this.reader.cancel().catch(() => undefined);
	}
}

const malformed = (message: string) => new MultipartError("malformed", message);

function decodeHeader(bytes: Uint8Array): string {
	try {
		return utf8.decode(bytes);
	} catch {
		throw malformed("malformed multipart body: part headers are not UTF-8");
	}
}

function parseHead(header: string): PartHead {
	let disposition: string | undefined;
	for (const line of header.split("\r\n")) {
		const colon = line.indexOf(":");
		if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === "content-disposition") {
			disposition = line.slice(colon + 1).trim();
			break;
		}
	}
	if (disposition === undefined) return { name: undefined, filename: undefined };
	const name = /;\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(disposition);
	return {
		name: name ? (name[1]?.replace(/\\(.)/g, "$1") ?? (name[2] ?? "").trim()) : undefined,
		filename: filenameOf(disposition),
	};
}

/**
 * The part's filename exactly as sent. Node's FormData sends backslashes as they are (percent-encoding only `"`, CR and
 * LF), workerd's escapes them as `\\`: both come out as one, and the SDK on Windows sends "static\chunks\app.js.map".
 * `filename*` (RFC 5987) wins over `filename` when both are sent, as RFC 6266 says.
 */
function filenameOf(disposition: string): string | undefined {
	const extended = /;\s*filename\*\s*=\s*([^;]*)/i.exec(disposition);
	if (extended) {
		const m = /^([A-Za-z0-9!#$%&+^_`{}~-]*)'[^']*'(.*)$/.exec((extended[1] ?? "").trim());
		if (m && /^utf-8$/i.test(m[1] ?? "")) {
			try {
				return decodeURIComponent(m[2] ?? "");
			} catch {
				// not percent-encoded UTF-8: the plain filename, if any, is used
			}
		}
	}
	const m = /;\s*filename\s*=\s*(?:"([^"]*)"|([^;]*))/i.exec(disposition);
	if (!m) return undefined;
	const raw = m[1] ?? (m[2] ?? "").trim();
	return raw
		.replace(/\\(["\\])/g, "$1")
		.replace(/%(22|0A|0D)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
