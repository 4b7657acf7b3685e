import { describe, expect, it } from "vitest";
import { AUTH_FAILURES_PER_MINUTE } from "../../src/auth/abuse.ts";
import { clearIsolateKeyCache } from "../../src/auth/lookup.ts";
import { control, createKey, ingest, revokeKey } from "./helpers.ts";

const LOG = { logs: [{ level: "info", message: "abuse" }] };
const randomKey = () => `dt_${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;
const sqlRequests = async () => (await control<{ postgresSqlRequests: number }>("/stats")).postgresSqlRequests;

/** Two random keys in a row from `ip`: the once-a-second trickle can serve one of them, never both. */
async function throttledPair(ip: string): Promise<number[]> {
	const first = await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": ip });
	const second = await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": ip });
	return [first.status, second.status];
}

describe("a flood of random keys", () => {
	it("is stopped by the per-IP limit before it reaches Postgres; other clients and known keys are unaffected", async () => {
		const attacker = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
		const valid = await createKey();
		// The valid key is seen once from the attacker's IP, so it is cached there.
		expect((await ingest("/ingest/logs", valid.key, LOG, { "cf-connecting-ip": attacker })).status).toBe(200);

		const before = await sqlRequests();
		const started = Date.now();
		const statuses: Record<number, number> = {};
		const flood = 500;
		for (let wave = 0; wave < flood / 25; wave++) {
			const results = await Promise.all(
				Array.from({ length: 25 }, () => ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": attacker })),
			);
			for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
		}
		const reached = (await sqlRequests()) - before;
		// A throttled address still gets one lookup a second per isolate (so valid keys are not locked out).
		const trickle = Math.ceil((Date.now() - started) / 1000) + 1;
		console.info(JSON.stringify({ flood, statuses, postgres_sql_requests: reached }));
		expect((statuses[401] ?? 0) + (statuses[429] ?? 0)).toBe(flood);
		expect(statuses[429]).toBeGreaterThan(flood - AUTH_FAILURES_PER_MINUTE - 50 - trickle);
		// At most the allowance (plus requests already in flight when it ran out, plus the trickle) reached Postgres.
		expect(reached).toBeLessThanOrEqual(AUTH_FAILURES_PER_MINUTE + 25 + trickle);

		// Two in a row: the trickle may serve the first, never both within a second.
		await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": attacker });
		const limited = await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": attacker });
		expect(limited.status).toBe(429);
		// A reason of its own: this is the address's guessing, not the key's rate limit.
		expect(await limited.json()).toEqual({ error: "Too many invalid API keys from this address" });
		expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(limited.headers.get("x-ratelimit-limit")).toBeNull();

		expect((await ingest("/ingest/logs", valid.key, LOG, { "cf-connecting-ip": attacker })).status).toBe(200);
		const other = await createKey();
		expect((await ingest("/ingest/logs", other.key, LOG, { "cf-connecting-ip": "203.0.113.50" })).status).toBe(200);
		expect((await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": "203.0.113.51" })).status).toBe(401);
	});

	it("does not lock valid keys out of a throttled address: cached keys at once, a key only in Postgres within a second", async () => {
		const attacker = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
		const cachedElsewhere = await createKey();
		const onlyInPostgres = await createKey();
		// Seen once from another address: Redis holds its entry. Then a fresh isolate (only Redis knows it).
		expect((await ingest("/ingest/logs", cachedElsewhere.key, LOG, { "cf-connecting-ip": "203.0.113.9" })).status).toBe(
			200,
		);
		clearIsolateKeyCache();
		for (let i = 0; i < AUTH_FAILURES_PER_MINUTE + 5; i++) {
			await ingest("/ingest/logs", randomKey(), LOG, { "cf-connecting-ip": attacker });
		}
		expect(await throttledPair(attacker)).toContain(429);
		// Its Redis entry is old (a day, a week): a positive entry is never throttled.
		expect((await ingest("/ingest/logs", cachedElsewhere.key, LOG, { "cf-connecting-ip": attacker })).status).toBe(200);
		// Never seen by Redis: one lookup a second still goes through for a throttled address.
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect((await ingest("/ingest/logs", onlyInPostgres.key, LOG, { "cf-connecting-ip": attacker })).status).toBe(200);
		expect(await throttledPair(attacker)).toEqual([429, 429]);
	});

	it("the same unknown key repeated is answered from the negative cache", async () => {
		const key = randomKey();
		const ip = "192.0.2.77";
		expect((await ingest("/ingest/logs", key, LOG, { "cf-connecting-ip": ip })).status).toBe(401);
		const before = await sqlRequests();
		for (let i = 0; i < 20; i++)
			expect((await ingest("/ingest/logs", key, LOG, { "cf-connecting-ip": ip })).status).toBe(401);
		expect((await sqlRequests()) - before).toBe(0);
	});
});

describe("revocation", () => {
	it("a revoked key stops at once on the CLI path (fresh isolate)", async () => {
		const k = await createKey();
		await revokeKey(k.id);
		expect((await ingest("/ingest/logs", k.key, LOG)).status).toBe(401);
	});
});

describe("origins, as docs/api/CONTRACT.md says", () => {
	it("`null` and spoofed Origin/Referer combinations", async () => {
		const k = await createKey({ origins: ["https://app.example.com"] });
		const cases: [Record<string, string>, number][] = [
			[{ origin: "null" }, 403],
			[{ origin: "https://evil.example", referer: "https://app.example.com/page" }, 403],
			[{ origin: "https://app.example.com", referer: "https://evil.example/" }, 200],
			// No Origin: not a browser's cross-origin request; the Referer proves nothing and is not consulted.
			[{ referer: "https://evil.example/" }, 200],
			[{ origin: "HTTPS://APP.EXAMPLE.COM" }, 200],
			[{ origin: "https://app.example.com." }, 403],
			[{ origin: "https://app.example.com/" }, 403],
			[{ origin: "https://app.example.com, https://evil.example" }, 403],
		];
		for (const [headers, status] of cases) {
			expect((await ingest("/ingest/logs", k.key, LOG, headers)).status, JSON.stringify(headers)).toBe(status);
		}
	});
});
