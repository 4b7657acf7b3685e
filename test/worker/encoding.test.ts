import { describe, expect, it } from "vitest";
import { gzip } from "../support/encode.ts";
import { call, createKey, storedRows } from "./helpers.ts";

const concat = (...parts: Uint8Array[]) => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
};

const post = (key: string, body: BodyInit, headers: Record<string, string>, path = "/ingest/logs") =>
	call(path, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
		body,
	});

describe("Content-Encoding", () => {
	it("names of Object.prototype members are unsupported encodings (415), not JavaScript in a 400", async () => {
		const k = await createKey();
		for (const encoding of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
			const res = await post(k.key, "{}", { "content-encoding": encoding });
			expect(res.status, encoding).toBe(415);
			expect(await res.json()).toEqual({ error: "Unsupported Content-Encoding: send gzip, deflate or none" });
		}
	});

	it("a multi-member gzip body (RFC 1952, cat a.gz b.gz) is read whole", async () => {
		const k = await createKey();
		const text = JSON.stringify({ logs: [{ level: "info", message: "multi ✓ member" }] });
		const cut = 17;
		const body = concat(await gzip(text.slice(0, cut)), await gzip(text.slice(cut, 30)), await gzip(text.slice(30)));
		const res = await post(k.key, body, { "content-encoding": "gzip" }, "/ingest/logs?wait=true");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, count: 1 });
		const [row] = await storedRows<Record<string, string>>("logs", k.projectId);
		expect(row?.message).toBe("multi ✓ member");
	});

	it("gzip followed by junk, or a truncated member, is still refused with 400", async () => {
		const k = await createKey();
		const member = await gzip('{"logs":[{"level":"info","message":"x"}]}');
		for (const body of [concat(member, new Uint8Array([1, 2, 3])), member.subarray(0, member.length - 4)]) {
			const res = await post(k.key, body, { "content-encoding": "gzip" });
			expect(res.status).toBe(400);
			expect(await res.json()).toEqual({ error: "Body is not valid gzip data" });
		}
		expect(await storedRows("logs", k.projectId)).toHaveLength(0);
	});

	it("reads up to 64 members; a body of more is refused with 400", async () => {
		const k = await createKey();
		const text = JSON.stringify({ logs: [{ level: "info", message: "m".repeat(200) }] });
		const split = async (n: number) => {
			const size = Math.ceil(text.length / n);
			const parts = await Promise.all(Array.from({ length: n }, (_, i) => gzip(text.slice(i * size, (i + 1) * size))));
			return concat(...parts);
		};
		const ok = await post(k.key, await split(64), { "content-encoding": "gzip" }, "/ingest/logs?wait=true");
		expect(ok.status).toBe(200);
		const refused = await post(k.key, await split(65), { "content-encoding": "gzip" });
		expect(refused.status).toBe(400);
		expect(await storedRows("logs", k.projectId)).toHaveLength(1);
	});
});
