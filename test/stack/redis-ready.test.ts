import { describe, expect, it } from "vitest";
import { infoSaysReady } from "../../dev/stack/redis.ts";

const info = (fields: Record<string, string | number>) =>
	`# Server\r\n${Object.entries(fields)
		.map(([k, v]) => `${k}:${v}`)
		.join("\r\n")}\r\n`;

describe("the local Redis readiness probe", () => {
	it("is ready only when our process has finished loading", () => {
		expect(infoSaysReady(info({ process_id: 42, loading: 0, async_loading: 0 }), 42)).toBe(true);
		expect(infoSaysReady(info({ process_id: 42, loading: 0 }), 42)).toBe(true); // Redis 6 has no async_loading
		expect(infoSaysReady(info({ process_id: 43, loading: 0, async_loading: 0 }), 42)).toBe(false);
	});

	it("is not fooled by async_loading:0 while the AOF is still loading (Redis 7)", () => {
		// The old probe matched the substring "loading:0\r\n", which "async_loading:0\r\n" contains.
		expect(infoSaysReady(info({ process_id: 42, loading: 1, async_loading: 0 }), 42)).toBe(false);
		expect(infoSaysReady(info({ process_id: 42, async_loading: 0 }), 42)).toBe(false);
		expect(infoSaysReady(info({ process_id: 42, loading: 0, async_loading: 1 }), 42)).toBe(false);
	});
});
