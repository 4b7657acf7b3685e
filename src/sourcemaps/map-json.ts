import { concatBytes } from "../util/bytes.ts";
import { MappingsDecoder } from "./mappings.ts";

/**
 * The members of a source map that resolution needs, read from its bytes as they stream in, without parsing the
 * rest: most of a production map is `sourcesContent` (the original files), which is stored with the map but never
 * needed here. The top level is checked for JSON structure (strings, nesting, separators); skipped values are not
 * validated further. `mappings` is never made a string: its bytes are copied out (a fraction of the map) and
 * counted by the decoder as they pass, so the index can be sized, and refused, before anything is stored.
 * Hand-written because JSON.parse has no way to skip a member, and a streaming JSON parser would be a dependency for
 * one top-level object.
 */

const WANTED = new Set(["version", "sourceRoot", "sources", "names", "mappings", "sections"]);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export interface ScannedMap {
	/** The wanted members other than `mappings`, parsed. */
	members: Record<string, unknown>;
	/** The `mappings` string's bytes (between the quotes), in pieces; null when the map has none. */
	mappings: Uint8Array[] | null;
	mappingsBytes: number;
	/** The counting pass over `mappings`, run as they streamed in. */
	counted: MappingsDecoder | null;
}

export type Scan = { ok: true; map: ScannedMap } | { ok: false; reason: string };

const QUOTE = 34;
const BACKSLASH = 92;
const MAX_KEY_BYTES = 64; // the longest wanted name, every character \u-escaped, fits
const OPENING_QUOTE = new Uint8Array([QUOTE]);

// The scanner's states.
const S = {
	Start: 0,
	Bom: 1,
	Xssi: 2,
	Open: 3,
	Key: 4,
	Colon: 5,
	Value: 6,
	String: 7,
	Nested: 8,
	NestedString: 9,
	Primitive: 10,
	Mappings: 11,
	After: 12,
	NextKey: 13,
	End: 14,
	Failed: 15,
} as const;

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

export class MapScanner {
	private state: number = S.Start;
	private offset = 0;
	private bom = 0;
	private escaped = false;
	private depth = 0;
	private key: number[] = [];
	private keyTooLong = false;
	private member = "";
	/** Pieces of the value being kept (a wanted member's JSON text). */
	private capture: Uint8Array[] | null = null;
	private readonly kept = new Map<string, Uint8Array[]>();
	private mappings: Uint8Array[] | null = null;
	private mappingsBytes = 0;
	private counted: MappingsDecoder | null = null;
	/** In the current chunk: the next quote and backslash found (-1: none left; -2: not searched yet). */
	private readonly seen = new Int32Array(2);

	/** False once the bytes cannot be a source map: the rest need not be fed. */
	feed(b: Uint8Array): boolean {
		this.seen.fill(-2);
		let i = 0;
		const n = b.byteLength;
		let from = 0; // where the current capture starts in this chunk
		while (i < n) {
			const c = b[i] as number;
			switch (this.state) {
				case S.Start:
					if (this.offset + i === 0 && c === 0xef) {
						this.state = S.Bom;
						i++;
					} else if (isSpace(c)) i++;
					else if (c === 41 /* ) */)
						this.state = S.Xssi; // the `)]}'` line the spec allows against XSSI
					else if (c === 123 /* { */) {
						this.state = S.Open;
						i++;
					} else return this.fail();
					break;
				case S.Bom:
					if (c !== (this.bom === 0 ? 0xbb : 0xbf)) return this.fail();
					if (++this.bom === 2) this.state = S.Start;
					i++;
					break;
				case S.Xssi: {
					const nl = b.indexOf(10, i);
					if (nl < 0) i = n;
					else {
						i = nl + 1;
						this.state = S.Start;
					}
					break;
				}
				case S.Open:
				case S.NextKey:
					if (isSpace(c)) i++;
					else if (c === QUOTE) {
						this.key = [];
						this.keyTooLong = false;
						this.state = S.Key;
						i++;
					} else if (c === 125 /* } */ && this.state === S.Open) {
						this.state = S.End;
						i++;
					} else return this.fail();
					break;
				case S.Key:
					if (this.escaped) this.escaped = false;
					else if (c === BACKSLASH) this.escaped = true;
					else if (c === QUOTE) {
						if (!this.keyDone()) return this.fail();
						i++;
						break;
					}
					if (this.key.length < MAX_KEY_BYTES) this.key.push(c);
					else this.keyTooLong = true;
					i++;
					break;
				case S.Colon:
					if (isSpace(c)) i++;
					else if (c === 58 /* : */) {
						this.state = S.Value;
						i++;
					} else return this.fail();
					break;
				case S.Value:
					if (isSpace(c)) {
						i++;
						break;
					}
					from = i;
					if (this.member === "mappings" && c === QUOTE) {
						this.startMappings();
						i++;
						from = i;
						break;
					}
					if (this.member !== "") this.capture = [];
					if (c === QUOTE) {
						this.state = S.String;
						i++;
					} else if (c === 123 || c === 91 /* { [ */) {
						this.state = S.Nested;
						this.depth = 1;
						i++;
					} else this.state = S.Primitive;
					break;
				case S.String:
				case S.NestedString: {
					const end = this.stringEnd(b, i);
					if (end < 0) {
						i = n;
						break;
					}
					i = end + 1;
					if (this.state === S.NestedString) this.state = S.Nested;
					else if (!this.valueDone(b, from, i)) return false;
					break;
				}
				case S.Nested:
					if (c === QUOTE) this.state = S.NestedString;
					else if (c === 123 || c === 91) this.depth++;
					else if (c === 125 || c === 93) {
						if (--this.depth === 0) {
							i++;
							if (!this.valueDone(b, from, i)) return false;
							break;
						}
					}
					i++;
					break;
				case S.Primitive:
					if (isSpace(c) || c === 44 || c === 125 || c === 93) {
						if (!this.valueDone(b, from, i)) return false;
					} else i++;
					break;
				case S.Mappings: {
					const q = this.next(b, QUOTE, i);
					const stop = q < 0 ? n : q;
					const found = this.next(b, BACKSLASH, i);
					const slash = found >= 0 && found < stop ? found : -1;
					if (slash >= 0) {
						// An escape in mappings (legal JSON, never written by a bundler): kept as JSON text and parsed at
						// the end, like any other member.
						this.keepMappings(b, from, slash);
						this.capture = [OPENING_QUOTE, ...(this.mappings ?? [])];
						this.mappings = null;
						this.counted = null;
						from = slash;
						i = slash;
						this.state = S.String;
						break;
					}
					this.keepMappings(b, from, stop);
					if (q < 0) i = n;
					else {
						i = q + 1;
						this.state = S.After;
					}
					break;
				}
				case S.After:
					if (isSpace(c)) i++;
					else if (c === 44 /* , */) {
						this.state = S.NextKey;
						i++;
					} else if (c === 125) {
						this.state = S.End;
						i++;
					} else return this.fail();
					break;
				case S.End:
					if (!isSpace(c)) return this.fail();
					i++;
					break;
				case S.Failed:
					return false;
			}
		}
		// The value being kept continues in the next chunk.
		if (this.capture !== null && from < n) this.capture.push(b.slice(from, n));
		this.offset += n;
		return true;
	}

	/**
	 * Index of the quote that ends the string at `i` (escapes skipped, across chunks too), or -1 past the chunk. The
	 * next quote and backslash of the chunk are remembered, so each byte is searched once: a search that ran on to
	 * the chunk's end for every short string would make reading `names` quadratic.
	 */
	private stringEnd(b: Uint8Array, i: number): number {
		if (this.escaped) {
			this.escaped = false;
			i++;
		}
		const n = b.byteLength;
		for (;;) {
			const q = this.next(b, QUOTE, i);
			const slash = this.next(b, BACKSLASH, i);
			if (slash < 0 || (q >= 0 && q < slash)) return q;
			// An escape: the byte after the backslash is never the end.
			if (slash + 1 >= n) {
				this.escaped = true;
				return -1;
			}
			i = slash + 2;
		}
	}

	/** The chunk's next `byte` at or after `i`, or -1: found once, then remembered until `i` passes it. */
	private next(b: Uint8Array, byte: number, i: number): number {
		const k = byte === QUOTE ? 0 : 1;
		const known = this.seen[k] as number;
		if (known === -1 || known >= i) return known;
		const at = b.indexOf(byte, i);
		this.seen[k] = at;
		return at;
	}

	private keyDone(): boolean {
		let name = "";
		if (!this.keyTooLong) {
			try {
				name = JSON.parse(`"${utf8.decode(new Uint8Array(this.key))}"`) as string;
			} catch {
				return false;
			}
		}
		this.member = WANTED.has(name) ? name : "";
		this.state = S.Colon;
		return true;
	}

	private startMappings(): void {
		// A second `mappings` replaces the first, as JSON.parse would.
		this.kept.delete("mappings");
		this.mappings = [];
		this.mappingsBytes = 0;
		this.counted = new MappingsDecoder(null);
		this.state = S.Mappings;
	}

	private keepMappings(b: Uint8Array, from: number, to: number): void {
		if (to <= from) return;
		this.mappings?.push(b.slice(from, to));
		this.mappingsBytes += to - from;
		this.counted?.feed(b, from, to);
	}

	private valueDone(b: Uint8Array, from: number, end: number): boolean {
		this.state = S.After;
		if (this.capture === null) return true;
		this.capture.push(b.slice(from, end));
		if (this.member === "mappings") {
			this.mappings = null; // an escaped or non-string mappings: parsed at finish
			this.counted = null;
		}
		this.kept.set(this.member, this.capture);
		this.capture = null;
		return true;
	}

	private fail(): false {
		this.state = S.Failed;
		return false;
	}

	/** After the last byte: the members, or why the bytes are not a source map. */
	finish(): Scan {
		if (this.state !== S.End) return { ok: false, reason: "not a source map" };
		const members: Record<string, unknown> = {};
		try {
			for (const [name, pieces] of this.kept) members[name] = JSON.parse(utf8.decode(join(pieces)));
		} catch {
			return { ok: false, reason: "not a source map" }; // a wanted member that is not JSON, or not UTF-8
		}
		let mappings = this.mappings;
		let counted = this.counted;
		let mappingsBytes = this.mappingsBytes;
		if (typeof members.mappings === "string") {
			// The escaped form, parsed: its bytes counted now, in one piece.
			const bytes = new TextEncoder().encode(members.mappings);
			mappings = [bytes];
			mappingsBytes = bytes.byteLength;
			counted = new MappingsDecoder(null);
			counted.feed(bytes);
		} else if (members.mappings !== undefined) return { ok: false, reason: "not a source map" };
		if (counted !== null) counted.end();
		delete members.mappings;
		return { ok: true, map: { members, mappings, mappingsBytes, counted } };
	}
}

/** The pieces as one array: the piece itself when there is one. */
export function join(pieces: Uint8Array[]): Uint8Array {
	return pieces.length === 1 ? (pieces[0] as Uint8Array) : concatBytes(pieces);
}
