/**
 * A source map's VLQ `mappings`, decoded piece by piece (as the upload delivers them) into segments. The same pass
 * counts (at upload, to size and refuse an index before anything is stored) or writes (into the index's flat
 * columns), so what is counted is exactly what is written. Linear in the bytes; nothing per segment is allocated.
 *
 * Written here rather than taken from @jridgewell/sourcemap-codec because that decoder returns an array per segment
 * (about 17 bytes per byte of mappings), which a 2.5 MB upload cannot afford in a 128 MB isolate, and reads one whole
 * string. Semantics follow @jridgewell/trace-mapping (test/unit/sourcemap-index.test.ts compares every segment).
 */

export const FIELDS = 5;

const BASE64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++)
	BASE64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;

/** Where a map's segments land in the flat index: the generated position shifted and cut as an index map's section is. */
export interface Placement {
	lineOffset: number;
	/** Added to the columns of the section's first line only. */
	columnOffset: number;
	/** Segments at or past (stopLine, stopColumn) belong to the next section: dropped. */
	stopLine: number;
	stopColumn: number;
	sourceBase: number;
	nameBase: number;
}

export const WHOLE: Placement = {
	lineOffset: 0,
	columnOffset: 0,
	stopLine: Number.POSITIVE_INFINITY,
	stopColumn: Number.POSITIVE_INFINITY,
	sourceBase: 0,
	nameBase: 0,
};

/**
 * The flat columns of an index: lineStart[l]..lineStart[l + 1] are line l's segments, each FIELDS int32s (generated
 * column, source, original line, original column, name; source and name -1 when absent). Lines are closed in order;
 * a line whose segments came unsorted is sorted (stably, by generated column) as trace-mapping sorts it.
 */
export class IndexWriter {
	private readonly lineStart: Int32Array;
	private readonly segments: Int32Array;
	private line = 0;
	private lineFirst = 0;
	private lastColumn = 0;
	private sorted = true;
	count = 0;

	constructor(lineStart: Int32Array, segments: Int32Array) {
		this.lineStart = lineStart;
		this.segments = segments;
		lineStart[0] = 0;
	}

	push(line: number, column: number, source: number, origLine: number, origColumn: number, name: number): void {
		if (line > this.line) this.closeTo(line);
		if (this.count > this.lineFirst && column < this.lastColumn) this.sorted = false;
		this.lastColumn = column;
		const at = this.count * FIELDS;
		const s = this.segments;
		s[at] = column;
		s[at + 1] = source;
		s[at + 2] = origLine;
		s[at + 3] = origColumn;
		s[at + 4] = name;
		this.count++;
	}

	/** Closes every line before `line` (line is then the current one). */
	closeTo(line: number): void {
		if (!this.sorted) sortLine(this.segments, this.lineFirst, this.count);
		while (this.line < line) this.lineStart[++this.line] = this.count;
		this.lineFirst = this.count;
		this.sorted = true;
	}
}

/** A line's segments sorted by generated column, ties in their order (the index caps a line far below 2^22 segments). */
function sortLine(segments: Int32Array, from: number, to: number): void {
	const n = to - from;
	const keys = new Float64Array(n);
	for (let i = 0; i < n; i++) keys[i] = (segments[(from + i) * FIELDS] as number) * 4194304 + i;
	keys.sort();
	const copy = segments.slice(from * FIELDS, to * FIELDS);
	for (let k = 0; k < n; k++) {
		const key = keys[k] as number;
		const i = key - Math.floor(key / 4194304) * 4194304;
		segments.set(copy.subarray(i * FIELDS, (i + 1) * FIELDS), (from + k) * FIELDS);
	}
}

/**
 * One pass over one map's mappings. feed() the string's bytes in pieces, then end(). Counting only when `out` is
 * null. `error` says why the mappings are not valid; `maxSource`/`maxName` are checked against the map's lists by
 * the caller (they may come after `mappings` in the JSON).
 */
export class MappingsDecoder {
	private readonly out: IndexWriter | null;
	private readonly at: Placement;
	private readonly values = new Int32Array(FIELDS);
	private fields = 0;
	private value = 0;
	private shift = 0;
	private inValue = false;
	private genColumn = 0;
	private source = 0;
	private origLine = 0;
	private origColumn = 0;
	private name = 0;
	/** The generated line, relative to the map. */
	line = 0;
	/** Segments kept (those before the placement's stop). */
	kept = 0;
	maxSource = -1;
	maxName = -1;
	error: string | null = null;

	constructor(out: IndexWriter | null, at: Placement = WHOLE) {
		this.out = out;
		this.at = at;
	}

	/** False once the mappings are known to be malformed (see `error`). */
	feed(bytes: Uint8Array, from = 0, to = bytes.byteLength): boolean {
		if (this.error !== null) return false;
		// The VLQ state in locals for the loop (written back around each segment and at the end): the hot path.
		const values = this.values;
		let fields = this.fields;
		let value = this.value;
		let shift = this.shift;
		let inValue = this.inValue;
		for (let i = from; i < to; i++) {
			const c = bytes[i] as number;
			if (c === 59 /* ; */ || c === 44 /* , */) {
				if (fields > 0 || inValue) {
					this.fields = fields;
					this.inValue = inValue;
					this.segment();
					fields = 0;
					if (this.error !== null) return false;
				}
				if (c === 59) {
					this.line++;
					this.genColumn = 0;
				}
				continue;
			}
			// One VLQ field: 5 bits a base64 digit, continuation in bit 6, sign in the lowest bit.
			if (!inValue && fields === FIELDS) return this.fail("a segment of more than 5 fields");
			const digit = c < 128 ? (BASE64[c] as number) : -1;
			if (digit < 0) return this.fail("a character that is not base64");
			if (shift > 30) return this.fail("a number over 32 bits");
			value |= (digit & 31) << shift;
			if ((digit & 32) === 0) {
				const v = value >>> 1;
				values[fields++] = value & 1 ? (v === 0 ? -0x80000000 : -v) : v;
				value = 0;
				shift = 0;
				inValue = false;
			} else {
				shift += 5;
				inValue = true;
			}
		}
		this.fields = fields;
		this.value = value;
		this.shift = shift;
		this.inValue = inValue;
		return true;
	}

	/** After the last piece: false when the mappings are malformed. */
	end(): boolean {
		if (this.error !== null) return false;
		if (this.fields > 0 || this.inValue) this.segment();
		return this.error === null;
	}

	private fail(why: string): false {
		this.error = why;
		return false;
	}

	private segment(): void {
		const fields = this.fields;
		this.fields = 0;
		if (this.inValue) {
			this.error = "a number cut short";
			return;
		}
		if (fields !== 1 && fields !== 4 && fields !== 5) {
			this.error = "a segment of 2, 3 or more than 5 fields";
			return;
		}
		const v = this.values;
		this.genColumn += v[0] as number;
		let source = -1;
		let name = -1;
		if (fields > 1) {
			this.source += v[1] as number;
			this.origLine += v[2] as number;
			this.origColumn += v[3] as number;
			if (this.source < 0 || this.origLine < 0 || this.origColumn < 0) {
				this.error = "a negative source, line or column";
				return;
			}
			source = this.source;
			if (source > this.maxSource) this.maxSource = source;
			if (fields === 5) {
				this.name += v[4] as number;
				if (this.name < 0) {
					this.error = "a negative name";
					return;
				}
				name = this.name;
				if (name > this.maxName) this.maxName = name;
			}
		}
		const at = this.at;
		const line = at.lineOffset + this.line;
		const column = (this.line === 0 ? at.columnOffset : 0) + this.genColumn;
		if (line > at.stopLine || (line === at.stopLine && column >= at.stopColumn)) return;
		this.kept++;
		if (this.out === null) return;
		this.out.push(
			line,
			column,
			source < 0 ? -1 : source + at.sourceBase,
			fields > 1 ? this.origLine : 0,
			fields > 1 ? this.origColumn : 0,
			name < 0 ? -1 : name + at.nameBase,
		);
	}

	/** The last generated line this map reaches in the index (its trailing empty lines included, up to its stop). */
	lastLine(): number {
		return Math.min(this.at.lineOffset + this.line, this.at.stopLine);
	}
}
