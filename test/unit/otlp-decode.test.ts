import { describe, expect, it } from "vitest";
import { decodeTracesProtobuf } from "../../src/otlp/decode-protobuf.ts";
import { level } from "../../src/otlp/rows.ts";

// OTLP decoding without the worker: severity mapping and the protobuf reader on a hand-encoded request.
// The requests the OpenTelemetry SDK serializes go through the worker in test/worker/otlp.test.ts.

describe("OTLP decoding details", () => {
	it("maps severity numbers and texts to the four levels", () => {
		expect([1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24].map((n) => level(n, ""))).toEqual([
			"debug",
			"debug",
			"debug",
			"debug",
			"info",
			"info",
			"warn",
			"warn",
			"error",
			"error",
			"error",
			"error",
		]);
		expect(level(0, "TRACE")).toBe("debug");
		expect(level(0, "critical")).toBe("error");
		expect(level(0, "WARN2")).toBe("warn");
		expect(level(0, "whatever")).toBe("info");
		expect(level(25, "")).toBe("info");
	});

	it("reads every AnyValue kind, int64 beyond 2^53 as a string, and skips unknown fields", () => {
		// Hand-encoded ExportTraceServiceRequest with one span carrying one attribute of each kind.
		const enc = new TextEncoder();
		const varint = (n: number) => {
			const out: number[] = [];
			for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
			return [...out, n];
		};
		const len = (field: number, bytes: number[]) => [(field << 3) | 2, ...varint(bytes.length), ...bytes];
		const str = (field: number, s: string) => len(field, [...enc.encode(s)]);
		const kv = (key: string, value: number[]) => len(9, [...str(1, key), ...len(2, value)]);
		const fixed64 = (field: number, v: bigint) => {
			const out = [(field << 3) | 1];
			for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
			return out;
		};
		const dbl = new Uint8Array(new Float64Array([2.5]).buffer);
		const span = [
			...len(
				1,
				Array.from({ length: 16 }, (_, i) => i + 1),
			),
			...len(2, [1, 2, 3, 4, 5, 6, 7, 0xff]),
			...str(5, "op"),
			...fixed64(7, 1_771_848_000_000_000_000n),
			...fixed64(8, 1_771_848_000_250_000_000n),
			...kv("s", str(1, "v")),
			...kv("b", [0x10, 1]),
			...kv("neg", [0x18, ...Array(9).fill(0xff), 0x01]), // int64 -1
			...kv("huge", [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // 2^63 - 1
			...kv("d", [0x21, ...dbl]),
			...kv("arr", len(5, [...len(1, str(1, "x")), ...len(1, [0x18, 5])])),
			...kv("kv", len(6, len(1, [...str(1, "inner"), ...len(2, [0x10, 0])]))),
			...kv("raw", len(7, [0xde, 0xad])),
			...[0xa8, 0x01, 0x07], // unknown field 21 (varint): skipped
			...len(15, [0x18, 0x02]), // status code ERROR
		];
		const body = Uint8Array.from(len(1, len(2, len(2, span))));
		const [resource] = decodeTracesProtobuf(body);
		const s = resource?.scopes[0]?.items[0];
		expect(s).toMatchObject({
			traceId: "0102030405060708090a0b0c0d0e0f10",
			spanId: "01020304050607ff",
			parentSpanId: "",
			name: "op",
			start: 1_771_848_000_000_000_000n,
			end: 1_771_848_000_250_000_000n,
			statusCode: 2,
		});
		expect({ ...s?.attributes, kv: { ...(s?.attributes.kv as object) } }).toEqual({
			s: "v",
			b: true,
			neg: -1,
			huge: "9223372036854775807",
			d: 2.5,
			arr: ["x", 5],
			kv: { inner: false },
			raw: "3q0=",
		});
	});
});
