import { describe, expect, it } from "vitest";
import { beaconKey } from "../../src/http/beacon.ts";

// Which requests may carry the key as ?key= (navigator.sendBeacon cannot send Authorization). The rules end to end,
// and that the key never reaches a log line or a row, are in test/worker/beacon.test.ts.

const SITE = "https://shop.example.com";

describe("beaconKey", () => {
	const req = (url: string, headers: Record<string, string>, method = "POST") =>
		new Request(url, { method, headers, body: method === "POST" ? "{}" : undefined });
	const ok = { origin: SITE, "content-type": "text/plain;charset=UTF-8" };

	it("takes ?key= only from a text/plain POST with an Origin and no Authorization", () => {
		expect(beaconKey(req("http://x/ingest/logs?key=dt_abc&wait=true", ok))).toBe("dt_abc");
		expect(beaconKey(req("http://x/ingest/logs?key=dt_abc", { ...ok, "content-type": "application/json" }))).toBe(
			undefined,
		);
		expect(beaconKey(req("http://x/ingest/logs?key=dt_abc", { "content-type": "text/plain" }))).toBe(undefined);
		expect(beaconKey(req("http://x/ingest/logs?key=dt_abc", { ...ok, authorization: "Bearer x" }))).toBe(undefined);
		expect(beaconKey(req("http://x/ingest/logs?key=dt_abc", ok, "PUT"))).toBe(undefined);
		expect(beaconKey(req("http://x/ingest/logs", ok))).toBe(undefined);
	});
});
