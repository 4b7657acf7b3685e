/**
 * The cost section's CPU figures, inside workerd (served by bench/cost-cpu.ts): each kind of bench/cost-kinds.ts
 * through the real app and through the floor (bench/bare-insert.ts), timed in the isolate as Part 1 is. Stores answer
 * from memory (test/support/memory-services.ts) on both sides, and both sides serialise their rows as the ClickHouse
 * client does (JSONEachRow), so the work timed is all the worker's own; only the network write is left out, alike.
 *   GET /calibrate?kind=NAME&batchMs=MS  → { app, floor } batch sizes (after warming up)
 *   GET /round?kind=NAME&app=K&floor=K&r=N → { app, floor } ns per request, wall time
 */
import type { ApiKeyRecord, EventTable, Services } from "../src/ports.ts";
import { keyRecord, memoryServices } from "../test/support/memory-services.ts";
import { createBareInsertApp } from "./bare-insert.ts";
import { COST_KINDS, type CostKind, mapsUpload } from "./cost-kinds.ts";
import { benchContext, benchRequestInit, ENV, silenceConsole } from "./harness.ts";
import { createApp } from "./src-app.js";

const record = (projectId: string): ApiKeyRecord =>
	keyRecord({ id: "0b5c8f8e-3a35-4c55-9b0e-5a1f2d3c4b5a", projectId, projectName: "bench-cost" });

let sink = 0;
const lastRow: Partial<Record<EventTable, Record<string, unknown>>> = {};

/** Memory stores whose insert serialises the rows as @clickhouse/client-web does (a JSON line each), then drops them. */
function services(projectId: string): Services {
	const s = memoryServices({ anyKey: record(projectId), keepRows: false, unlimited: true }).services;
	s.events.insert = async (table, rows) => {
		let body = "";
		for (const row of rows) body += `${JSON.stringify(row)}\n`;
		sink += body.length;
		lastRow[table] = rows[rows.length - 1] as Record<string, unknown>;
	};
	return s;
}

type Fetcher = {
	fetch(req: Request, env: object, ctx: ReturnType<typeof benchContext>["ctx"]): Response | Promise<Response>;
};
// Two projects, each with a key of its own (the isolate's key cache would answer the first project for both): the
// source-map caches are keyed by project, so the plain error sees no maps.
const PLAIN_KEY = `dt_${"c0stPla1n".repeat(5)}`;
const MAPPED_KEY = `dt_${"c0stMapp3d".repeat(5)}`;
const plainServices = services("7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
const mappedServices = services("1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5");
const plain = createApp({ createServices: () => plainServices });
const mapped = createApp({ createServices: () => mappedServices });
const floor = createBareInsertApp(async (_table, body) => {
	sink += body.length;
});
let uploaded = false;
let request = 0;

const utf8 = new TextEncoder();

/** A request as an SDK sends it (Content-Length declared), with the kind's key. */
function requestOf(kind: CostKind): Request {
	const body = kind.body(request++);
	const init = benchRequestInit(utf8.encode(body).byteLength);
	const key = kind.mapsRelease ? MAPPED_KEY : PLAIN_KEY;
	return new Request(`https://ingest.bench${kind.path}`, {
		...init,
		headers: { ...init.headers, authorization: `Bearer ${key}` },
		body,
	});
}

async function run(fetcher: Fetcher, kind: CostKind, k: number): Promise<number> {
	const requests = Array.from({ length: k }, () => requestOf(kind));
	const { pending, ctx } = benchContext();
	const t0 = performance.now();
	for (const req of requests) {
		const res = await fetcher.fetch(req, ENV, ctx);
		if (res.status !== 200) throw new Error(`${kind.name}: status ${res.status}: ${await res.text()}`);
	}
	await Promise.all(pending);
	return ((performance.now() - t0) * 1e6) / k;
}

async function sides(kind: CostKind) {
	if (kind.mapsRelease && !uploaded) {
		const { pending, ctx } = benchContext();
		const res = await mapped.fetch(
			mapsUpload("https://ingest.bench/ingest/sourcemaps", MAPPED_KEY, kind.mapsRelease),
			ENV,
			ctx,
		);
		await Promise.all(pending);
		if (res.status !== 200) throw new Error(`maps upload: ${res.status} ${await res.text()}`);
		uploaded = true;
	}
	return { app: kind.mapsRelease ? mapped : plain, floor };
}

export default {
	async fetch(req: Request): Promise<Response> {
		silenceConsole();
		const url = new URL(req.url);
		const kind = COST_KINDS.find((k) => k.name === url.searchParams.get("kind"));
		if (!kind) return Response.json({ error: "unknown kind" }, { status: 404 });
		const { app, floor: bare } = await sides(kind);
		if (url.pathname === "/calibrate") {
			const batchMs = Number(url.searchParams.get("batchMs") ?? 100);
			const k = { app: 1, floor: 1 };
			const per = { app: 0, floor: 0 };
			// Warm up (JIT, the isolate's caches) for about 300 ms, doubling the batches until each takes ≥ 10 ms.
			for (let spent = 0; spent < 300e6; ) {
				per.app = await run(app, kind, k.app);
				per.floor = await run(bare, kind, k.floor);
				spent += per.app * k.app + per.floor * k.floor;
				if (per.app * k.app < 10e6) k.app *= 2;
				if (per.floor * k.floor < 10e6) k.floor *= 2;
			}
			if (kind.mapsRelease && lastRow.errors?.symbolication !== "resolved")
				throw new Error(`${kind.name}: the stack was not resolved (${String(lastRow.errors?.symbolication)})`);
			const size = (ns: number) => Math.max(1, Math.round((batchMs * 1e6) / Math.max(ns, 1)));
			return Response.json({ app: size(per.app), floor: size(per.floor), sink });
		}
		const k = { app: Number(url.searchParams.get("app") ?? 1), floor: Number(url.searchParams.get("floor") ?? 1) };
		// Order alternating by round, so a drift in the machine's load hits both sides alike.
		if (Number(url.searchParams.get("r") ?? 0) % 2 === 0) {
			const a = await run(app, kind, k.app);
			return Response.json({ app: a, floor: await run(bare, kind, k.floor) });
		}
		const f = await run(bare, kind, k.floor);
		return Response.json({ app: await run(app, kind, k.app), floor: f });
	},
};
