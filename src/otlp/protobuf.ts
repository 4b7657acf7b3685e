/**
 * A minimal protobuf wire-format reader and writer: just what the OTLP messages need.
 * Unknown fields are skipped by wire type, as protobuf requires, so newer senders stay compatible.
 */

export class ProtobufError extends Error {
	override name = "ProtobufError";
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export class Reader {
	readonly buf: Uint8Array;
	pos: number;
	readonly end: number;
	private view: DataView | undefined;

	constructor(buf: Uint8Array, start = 0, end = buf.length) {
		this.buf = buf;
		this.pos = start;
		this.end = end;
	}

	done(): boolean {
		return this.pos >= this.end;
	}

	/** A varint as its low and high 32 bits (unsigned). */
	private varint64(): [number, number] {
		let lo = 0;
		let hi = 0;
		for (let shift = 0; shift < 70; shift += 7) {
			if (this.pos >= this.end) throw new ProtobufError("truncated varint");
			const b = this.buf[this.pos++] as number;
			const bits = b & 0x7f;
			if (shift < 28) lo |= bits << shift;
			else if (shift === 28) {
				lo |= (bits & 0x0f) << 28;
				hi |= bits >> 4;
			} else hi |= bits << (shift - 32);
			if (b < 0x80) return [lo >>> 0, hi >>> 0];
		}
		throw new ProtobufError("varint too long");
	}

	/** A varint that must fit in 32 bits (tags, lengths): more is corrupt, as reference decoders say, never truncated. */
	uint32(): number {
		const [lo, hi] = this.varint64();
		if (hi !== 0) throw new ProtobufError("varint over 32 bits");
		return lo;
	}

	/** An enum or int32 field: negative values arrive sign-extended to 64 bits. */
	int32(): number {
		return this.varint64()[0] | 0;
	}

	bool(): boolean {
		const [lo, hi] = this.varint64();
		return lo !== 0 || hi !== 0;
	}

	/** int64 as a number when exact, else as a decimal string (JSON cannot hold it as a number). */
	int64(): number | string {
		const [lo, hi] = this.varint64();
		const big = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
		return Number.isSafeInteger(Number(big)) ? Number(big) : big.toString();
	}

	private dataView(): DataView {
		this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
		return this.view;
	}

	private need(n: number): number {
		const at = this.pos;
		if (at + n > this.end) throw new ProtobufError("truncated field");
		this.pos += n;
		return at;
	}

	fixed64(): bigint {
		const at = this.need(8);
		return this.dataView().getBigUint64(at, true);
	}

	double(): number {
		const at = this.need(8);
		return this.dataView().getFloat64(at, true);
	}

	/** The bounds of a length-delimited field, for a nested Reader or bytes. */
	span(): [number, number] {
		const len = this.uint32();
		const at = this.need(len);
		return [at, at + len];
	}

	bytes(): Uint8Array {
		const [start, end] = this.span();
		return this.buf.subarray(start, end);
	}

	string(): string {
		try {
			return utf8.decode(this.bytes());
		} catch (err) {
			if (err instanceof ProtobufError) throw err;
			throw new ProtobufError("string field is not valid UTF-8");
		}
	}

	/** A nested message, read by `read` over its own bounds. */
	message<T>(read: (r: Reader) => T): T {
		const [start, end] = this.span();
		return read(new Reader(this.buf, start, end));
	}

	/** The next field's number and wire type. */
	tag(): [field: number, wire: number] {
		const tag = this.uint32();
		const field = tag >>> 3;
		if (field === 0) throw new ProtobufError("field number 0");
		return [field, tag & 7];
	}

	skip(wire: number): void {
		switch (wire) {
			case WIRE_VARINT:
				this.varint64();
				return;
			case WIRE_FIXED64:
				this.need(8);
				return;
			case WIRE_LEN:
				this.span();
				return;
			case WIRE_FIXED32:
				this.need(4);
				return;
			default:
				// Groups (3, 4) are not used by OTLP; anything else is corrupt.
				throw new ProtobufError(`unsupported wire type ${wire}`);
		}
	}

	/** Calls `field` for each field; it returns false for fields it does not read, which are skipped. */
	fields(field: (n: number, wire: number) => boolean): void {
		while (this.pos < this.end) {
			const [n, wire] = this.tag();
			if (!field(n, wire)) this.skip(wire);
		}
		if (this.pos !== this.end) throw new ProtobufError("field overruns its message");
	}

	/** Throws unless the field has the wire type its schema declares. */
	static expect(wire: number, expected: number): void {
		if (wire !== expected) throw new ProtobufError(`wire type ${wire} where ${expected} was expected`);
	}
}

/** Appends fields; enough for the small OTLP responses (varints, strings, nested messages). */
export class Writer {
	private parts: number[] = [];

	private varint(value: number): void {
		// Values here are non-negative and below 2^53.
		let v = value;
		while (v >= 0x80) {
			this.parts.push((v % 128) | 0x80);
			v = Math.floor(v / 128);
		}
		this.parts.push(v);
	}

	private tag(field: number, wire: number): void {
		this.varint(field * 8 + wire);
	}

	uint(field: number, value: number): this {
		if (value !== 0) {
			this.tag(field, WIRE_VARINT);
			this.varint(value);
		}
		return this;
	}

	bytes(field: number, value: Uint8Array): this {
		this.tag(field, WIRE_LEN);
		this.varint(value.length);
		for (const b of value) this.parts.push(b);
		return this;
	}

	string(field: number, value: string): this {
		return value === "" ? this : this.bytes(field, new TextEncoder().encode(value));
	}

	message(field: number, value: Writer): this {
		return this.bytes(field, value.finish());
	}

	finish(): Uint8Array<ArrayBuffer> {
		return Uint8Array.from(this.parts);
	}
}
