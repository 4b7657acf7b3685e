import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { AUTH_FAILURES_PER_MINUTE, windowStartOf } from "../../src/auth/abuse.ts";
import { clearIsolateKeyCache } from "../../src/auth/lookup.ts";
import { createServices } from "../../src/services/index.ts";
import { callApp, control, createKey, ingest, revokeKey } from "./helpers.ts";

const LOG = { logs: [{ level: "info", message: "abuse" }] };
const randomKey = () => `dt_${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;
const sqlRequests = async () => (await control<{ postgresSqlRequests: number }>("/stats")).postgresSqlRequests;

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
		// A throttled address still gets one lookup a second (per address and isolate), so valid keys are not locked out.
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

/**
 * The throttle on a clock the test moves: the minute boundary and the once-a-second lookup are where the test puts
 * them, whatever the time of the run. Module state outlives a file here (one workerd), so every address is fresh.
 */
function onClock(start: number) {
	const clock = { now: start };
	const app = createApp({ createServices, now: () => clock.now });
	const send = async (key: string, ip: string) =>
		(
			await callApp(app, "/ingest/logs", {
				method: "POST",
				headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "cf-connecting-ip": ip },
				body: JSON.stringify(LOG),
			})
		).status;
	/** Guesses from `ip`, 10 ms apart. */
	const guess = async (ip: string, n: number) => {
		for (let i = 0; i < n; i++) {
			await send(randomKey(), ip);
			clock.now += 10;
		}
	};
	/** Two random keys at the same instant: the once-a-second lookup can serve one of them, never both. */
	const pair = async (ip: string) => [await send(randomKey(), ip), await send(randomKey(), ip)];
	return { clock, send, guess, pair };
}

const freshAddress = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

describe("the failed-lookup throttle, on a controlled clock", () => {
	it("counts a flood that straddles a minute boundary whole (20 failures before it, 15 after)", async () => {
		const t = onClock(windowStartOf(Date.now()) + 59_700);
		const ip = freshAddress();
		await t.guess(ip, 20);
		t.clock.now = windowStartOf(t.clock.now) + 60_000 + 2_000;
		await t.guess(ip, 15);
		expect(await t.pair(ip)).toEqual([429, 429]);
		// Still throttled a second later: what is left of the 20 and this minute's count are still 30 or more.
		t.clock.now += 1_000;
		await t.send(randomKey(), ip); // the second's one lookup
		expect(await t.pair(ip)).toEqual([429, 429]);
		// Later, what is left of the minute before no longer tips it over: lookups go through (and fail) again.
		t.clock.now = windowStartOf(t.clock.now) + 45_000;
		expect(await t.pair(ip)).toEqual([401, 401]);
	});

	it("does not lock valid keys out of a throttled address: cached keys at once, a key only in Postgres within a second", async () => {
		const t = onClock(windowStartOf(Date.now()) + 5_000);
		const attacker = freshAddress();
		const cachedElsewhere = await createKey();
		const onlyInPostgres = await createKey();
		// Seen once from another address: Redis holds its entry. Then a fresh isolate (only Redis knows it).
		expect(await t.send(cachedElsewhere.key, freshAddress())).toBe(200);
		clearIsolateKeyCache();
		await t.guess(attacker, AUTH_FAILURES_PER_MINUTE + 5);
		expect(await t.pair(attacker)).toEqual([429, 429]);
		// A positive entry in Redis is never throttled.
		expect(await t.send(cachedElsewhere.key, attacker)).toBe(200);
		// Never seen by Redis: one lookup a second still goes through for a throttled address.
		t.clock.now += 1_100;
		expect(await t.send(onlyInPostgres.key, attacker)).toBe(200);
		expect(await t.pair(attacker)).toEqual([429, 429]);
	});

	it("gives each throttled address its own lookup a second: a guessing address cannot take another's", async () => {
		const t = onClock(windowStartOf(Date.now()) + 5_000);
		const guesser = freshAddress();
		// A NAT: its own earlier failures throttle it too, and valid keys new to the isolate arrive from it.
		const nat = freshAddress();
		await t.guess(guesser, AUTH_FAILURES_PER_MINUTE + 5);
		await t.guess(nat, AUTH_FAILURES_PER_MINUTE + 5);
		const keys = await Promise.all(Array.from({ length: 5 }, () => createKey()));
		const statuses: number[] = [];
		for (const k of keys) {
			t.clock.now += 1_100;
			// The guesser asks first each second (it keeps guessing), then the NAT's valid key.
			await t.send(randomKey(), guesser);
			statuses.push(await t.send(k.key, nat));
		}
		expect(statuses).toEqual([200, 200, 200, 200, 200]);
		// Each address still gets one lookup a second, not more.
		expect(await t.pair(nat)).toEqual([429, 429]);
		expect(await t.pair(guesser)).toEqual([429, 429]);
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
