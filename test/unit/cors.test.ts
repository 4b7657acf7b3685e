import { describe, expect, it } from "vitest";
import { originAllowed } from "../../src/http/cors.ts";

// A key's origin allow-list decides which browsers may send with it: every near miss below must be refused.

const EXACT = ["https://app.example.com", "http://localhost:3000"];
const WILDCARD = ["https://*.example.com"];

describe("originAllowed", () => {
	it.each<[string, readonly string[], boolean]>([
		// No list: the key is not restricted to browsers of given sites.
		["https://anything.test", [], true],
		["https://app.example.com", EXACT, true],
		["http://localhost:3000", EXACT, true],
		["HTTPS://APP.EXAMPLE.COM", EXACT, true],
		["http://app.example.com", EXACT, false],
		["https://app.example.com:8443", EXACT, false],
		["http://localhost:3001", EXACT, false],
		["https://app.example.com.", EXACT, false],
		["https://app.example.com/", EXACT, false],
		["https://app.example.com.evil.test", EXACT, false],
		["https://evilapp.example.com", EXACT, false],
		["null", EXACT, false],
		["", EXACT, false],
		["https://a.example.com", WILDCARD, true],
		["https://a-1.b.example.com", WILDCARD, true],
		["https://A.EXAMPLE.COM", WILDCARD, true],
		// The wildcard is for subdomains only: not the apex, not a look-alike, not another scheme or port.
		["https://example.com", WILDCARD, false],
		["https://.example.com", WILDCARD, false],
		["https://evilexample.com", WILDCARD, false],
		["https://evil-example.com", WILDCARD, false],
		["https://a.example.com.evil.test", WILDCARD, false],
		["http://a.example.com", WILDCARD, false],
		["https://a.example.com:8443", WILDCARD, false],
		["https://a..example.com", WILDCARD, false],
		["https://evil.test/.example.com", WILDCARD, false],
		["https://evil.test?.example.com", WILDCARD, false],
		["https://evil.test#.example.com", WILDCARD, false],
		["https://u@evil.test.example.com", WILDCARD, false],
		["https://a_b.example.com", WILDCARD, false],
		["https://a.example.com:8443", ["https://*.example.com:8443"], true],
		["https://a.example.com", ["https://*.example.com:8443"], false],
		["https://b.example.org", ["https://app.example.com", "https://*.example.org"], true],
	])("%s against %j: %s", (origin, allowed, expected) => {
		expect(originAllowed(origin, allowed)).toBe(expected);
	});
});
