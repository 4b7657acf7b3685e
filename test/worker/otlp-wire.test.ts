import { describe, expect, it } from "vitest";
import { decodeLogsProtobuf, decodeTracesProtobuf } from "../../src/otlp/decode-protobuf.ts";
import { ProtobufError, Reader } from "../../src/otlp/protobuf.ts";
import { raw, tracesProtobuf } from "../fixtures/otlp-wire.ts";
import { call, createKey, storedRows } from "./helpers.ts";

// OTLP wire details senders rely on: int64 as JSON numbers, varints over 32 bits, protobuf error bodies.

const PROTOBUF = "application/x-protobuf";

/** google.rpc.Status { int32 code = 1; string message = 2 } */
function status(bytes: Uint8Array): { code: number; message: string } {
	const r = new Reader(bytes);
	const out = { code: 0, message: "" };
	r.fields((n) => {
		if (n === 1) out.code = r.int32();
		else if (n === 2) out.message = r.string();
		else return false;
		return true;
	});
	return out;
}

describe("OTLP/JSON int64 fields sent as JSON numbers (allowed by the proto3 JSON mapping)", () => {
	it("are read as times, not refused as missing", async () => {
		const k = await createKey();
		const start = 1_764_626_400_000_000_000;
		const res = await call("/v1/traces?wait=true", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
			body: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"n","startTimeUnixNano":${start},"endTimeUnixNano":${start + 250_000_000}}]}]}]}`,
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({});
		const [row] = await storedRows<Record<string, unknown>>("spans", k.projectId);
		expect(row).toMatchObject({ start_time: "2025-12-01 22:00:00.000", duration_ms: 250 });
	});
});

describe("OTLP/protobuf varints over 32 bits where 32 are allowed", () => {
	const span = tracesProtobuf([
		{
			resource: {},
			scopes: [
				{
					items: [
						{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "00f067aa0ba902b7", name: "n", start: 1n, end: 2n },
					],
				},
			],
		},
	]);
	const inner = [...span.subarray(2)]; // the ResourceSpans message after its tag and (one-byte) length

	it("a length of len + 2^32 is refused, not truncated", () => {
		expect(span[1]).toBe(inner.length);
		expect(() => decodeTracesProtobuf(raw([0x0a], BigInt(inner.length) + 2n ** 32n, inner))).toThrow(ProtobufError);
		expect(decodeTracesProtobuf(raw([0x0a], BigInt(inner.length), inner))).toHaveLength(1);
	});

	it("a tag with bits above 32 is refused", () => {
		expect(() => decodeLogsProtobuf(raw(0x0an + 2n ** 35n, [0]))).toThrow(ProtobufError);
	});
});

describe("error answers to protobuf requests on /v1/* are protobuf google.rpc.Status", () => {
	const post = (headers: Record<string, string>, body: BodyInit = new Uint8Array(0)) =>
		call("/v1/traces", { method: "POST", headers: { "content-type": PROTOBUF, ...headers }, body });

	async function expectStatus(res: Response, httpStatus: number, code: number) {
		expect(res.status).toBe(httpStatus);
		expect(res.headers.get("content-type")).toBe(PROTOBUF);
		const s = status(new Uint8Array(await res.arrayBuffer()));
		expect(s.code).toBe(code);
		expect(s.message).not.toBe("");
		return s;
	}

	it("401, 413, 415 and 429 carry a Status with the matching google.rpc code and the documented message", async () => {
		expect((await expectStatus(await post({}), 401, 16)).message).toBe("Missing or invalid API key");
		const k = await createKey({ rateLimit: 1 });
		const auth = { authorization: `Bearer ${k.key}` };
		await expectStatus(await post({ ...auth, "content-encoding": "br" }), 415, 3);
		await expectStatus(await post({ ...auth, "content-length": String(6 * 1024 * 1024) }), 413, 3);
		const limited = await expectStatus(await post(auth), 429, 8);
		expect(limited.message).toBe("Rate limit exceeded");
	});

	it("a JSON request still gets JSON errors", async () => {
		const res = await call("/v1/traces", {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: "{}",
		});
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({ error: "Missing or invalid API key" });
	});
});
