import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { lambda } from "../fixtures/vercel.ts";
import {
	call,
	callApp,
	control,
	createKey,
	revokeKey,
	storedRows,
	type TestKey,
	withServiceStopped,
} from "./helpers.ts";

// Everything a request can leave behind (responses, log lines, stored rows) is scanned for secrets:
// key plaintexts, drain secrets, connection strings and tokens.

const captured: string[] = [];
const remember = (value: unknown) => captured.push(typeof value === "string" ? value : JSON.stringify(value));

async function record(res: Response): Promise<Response> {
	remember([...res.headers.entries()]);
	remember(await res.clone().text());
	return res;
}

const send = (path: string, key: string | undefined, body: string, headers: Record<string, string> = {}) =>
	call(path, {
		method: "POST",
		headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
		body,
	}).then(record);

function findSecrets(haystack: string[], secrets: string[]): string[] {
	const text = haystack.join("\n");
	return secrets.filter((s) => s.length >= 6 && text.includes(s));
}

describe("secrets never leave", () => {
	const drainSecret = `drain-secret-${crypto.randomUUID()}`;
	let keys: TestKey[] = [];
	let revoked: TestKey;

	beforeAll(() => {
		for (const level of ["log", "info", "warn", "error", "debug"] as const) {
			const original = console[level].bind(console);
			vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
				for (const a of args) remember(a);
				original(...args);
			});
		}
	});
	afterAll(() => vi.restoreAllMocks());

	it("through a representative run: every route, every rejection, degraded modes, a misconfigured worker", async () => {
		const project = `p-${crypto.randomUUID()}`;
		const k = await createKey({ project, origins: ["https://app.example.com"], rateLimit: 3 });
		revoked = await createKey();
		await revokeKey(revoked.id);
		await control("/drain", { project, secret: drainSecret, verify: "vc" });
		keys = [k, revoked];

		const log = JSON.stringify({ logs: [{ level: "info", message: "hello" }] });
		await send("/ingest/logs", k.key, log);
		await send(
			"/ingest/errors",
			k.key,
			JSON.stringify({ error_message: "e", stack_trace: "Error: e\n    at f (/app/a.js:1:1)" }),
		);
		await send("/ingest/traces", k.key, "{}");
		await send("/ingest/logs", k.key, log, { origin: "https://evil.example" });
		await send("/ingest/logs", k.key, log); // rate limited
		await send("/ingest/logs", revoked.key, log);
		await send("/ingest/logs", `${k.key.slice(0, -1)}x`, log);
		await send("/ingest/logs", undefined, log, { authorization: `Basic ${btoa(`${k.key}:`)}` });

		const other = await createKey({ project });
		keys.push(other);
		// Browser beacons carry the key in the URL: stored, refused for the origin, refused for a key without origins.
		const site = await createKey({ project, origins: ["https://site.example"] });
		keys.push(site);
		for (const [key, origin] of [
			[site.key, "https://site.example"],
			[site.key, "https://evil.example"],
			[other.key, "https://site.example"],
		] as const) {
			await send(`/ingest/logs?key=${key}`, undefined, log, { "content-type": "text/plain", origin });
		}
		const drainBody = JSON.stringify([lambda]);
		await send("/ingest/drain", other.key, drainBody, { "x-vercel-signature": "00".repeat(20) });
		const unseen = await createKey();
		keys.push(unseen);
		await withServiceStopped("postgres", () => send("/ingest/logs", unseen.key, log));
		await withServiceStopped("redis", () => send("/ingest/logs", other.key, log));
		await withServiceStopped("clickhouse", () => send("/ingest/logs", other.key, `${log.slice(0, -2)}]}`));

		// A worker whose settings are broken must say which, never what they hold.
		const broken = {
			...env,
			DATABASE_URL: `${env.DATABASE_URL}?x=${drainSecret}`,
			UPSTASH_REDIS_REST_URL: "not a url",
		};
		const res = await callApp(
			worker,
			"/ingest/logs",
			{ method: "POST", headers: { authorization: `Bearer ${k.key}` }, body: log },
			broken,
		);
		expect(res.status).toBe(500);
		await record(res);

		for (const table of ["logs", "errors", "spans", "llm_usage"]) {
			for (const key of keys) remember(await storedRows(table, key.projectId));
		}
		expect(captured.length).toBeGreaterThan(30);

		const secrets = [
			...keys.map((x) => x.key),
			drainSecret,
			env.DATABASE_URL,
			new URL(env.DATABASE_URL).password,
			env.UPSTASH_REDIS_REST_TOKEN,
		];
		expect(findSecrets(captured, secrets)).toEqual([]);
	});

	it("the scan itself finds a planted secret", () => {
		expect(findSecrets(["a", `x ${drainSecret} y`], [drainSecret])).toEqual([drainSecret]);
		expect(findSecrets([JSON.stringify({ k: keys[0]?.key })], [keys[0]?.key ?? "missing"])).toHaveLength(1);
	});
});
