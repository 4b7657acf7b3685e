import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { LogsBody } from "../../src/ingest/schemas.ts";
import { lazyObject } from "../../src/util/lazy.ts";

describe("lazyObject", () => {
	it("builds on first use, once, and stands in for what it built", () => {
		let builds = 0;
		const schema = lazyObject(() => {
			builds++;
			return z.object({ n: z.number() });
		});
		expect(builds).toBe(0);
		expect(schema.safeParse({ n: 1 })).toEqual({ success: true, data: { n: 1 } });
		expect(schema.safeParse({ n: "1" }).success).toBe(false);
		expect(Object.keys(schema.shape)).toEqual(["n"]);
		expect(schema instanceof z.ZodMiniObject).toBe(true);
		expect("safeParse" in schema).toBe(true);
		expect(builds).toBe(1);
	});

	it("serves as a schema inside other schemas", () => {
		const wrapped = z.object({ body: LogsBody });
		expect(wrapped.safeParse({ body: { logs: [{ level: "info", message: "hi" }] } }).success).toBe(true);
		expect(wrapped.safeParse({ body: { logs: [] } }).success).toBe(false);
	});
});
