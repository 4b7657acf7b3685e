import { beforeEach, describe, expect, it, vi } from "vitest";
import { clearIsolatePrices } from "../../src/prices/lookup.ts";
import { type MemoryApp, memoryApp } from "../support/memory-app.ts";

// LLM cost on the routes, over in-memory stores (the seeded table): which records are priced, from what, and what
// each asks of the price stores. The tiers against the real Redis and Postgres, and a change through the CLI, are
// test/worker/prices.test.ts's.

const SDK_RECORD = {
	service: "web",
	model: "gpt-4o-2024-08-06",
	provider: "openai",
	operation: "chat.completions.create",
	input_tokens: 1250,
	output_tokens: 340,
	cost_usd: 0,
	latency_ms: 2100,
};

async function post(app: MemoryApp, path: string, body: unknown) {
	const { key } = await app.addKey();
	const res = await app.send(path, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
		body: JSON.stringify(body),
	});
	expect(res.status).toBe(200);
	return app.inserted.llm_usage.at(-1) as Record<string, unknown>;
}

const priceCalls = (app: MemoryApp) => ({
	get: app.calls.get("priceCache.get") ?? 0,
	list: app.calls.get("prices.list") ?? 0,
});

describe("POST /ingest/llm prices what the SDK sends", () => {
	beforeEach(() => clearIsolatePrices());

	it("infers a missing cost from the table: 1,250 × $2.50 + 340 × $10 per 1M = $0.006525", async () => {
		const app = memoryApp();
		const row = await post(app, "/ingest/llm", SDK_RECORD);
		expect(row).toMatchObject({ model: "gpt-4o-2024-08-06", cost_source: "inferred", price_version: "1" });
		expect(row.cost_usd).toBeCloseTo(0.006525, 12);
		const { cost_usd: _, ...rest } = SDK_RECORD;
		const without = await post(app, "/ingest/llm", rest);
		expect(without.cost_usd).toBeCloseTo(0.006525, 12);
	});

	it("keeps a client's cost and asks no price store for it", async () => {
		const app = memoryApp();
		const row = await post(app, "/ingest/llm", { ...SDK_RECORD, cost_usd: 0.0089 });
		expect(row).toMatchObject({ cost_usd: 0.0089, cost_source: "client", price_version: "" });
		expect(priceCalls(app)).toEqual({ get: 0, list: 0 });
	});

	it("leaves an unknown model at 0, marked unknown with the version that had no price", async () => {
		const app = memoryApp();
		const row = await post(app, "/ingest/llm", { ...SDK_RECORD, model: "gpt-4o-mini-tts" });
		expect(row).toMatchObject({ cost_usd: 0, cost_source: "unknown", price_version: "1" });
		const empty = await post(app, "/ingest/llm", { ...SDK_RECORD, input_tokens: 0, output_tokens: 0 });
		expect(empty).toMatchObject({ cost_usd: 0, cost_source: "unknown", price_version: "" });
	});

	it("prices cache and reasoning tokens named in metadata as the provider bills them", async () => {
		const app = memoryApp();
		// OpenAI: 2,006 prompt tokens of which 1,920 cached: 86 × 2.5 + 1,920 × 1.25 + 300 × 10 = 5,615 → $0.005615.
		const openai = await post(app, "/ingest/llm", {
			...SDK_RECORD,
			input_tokens: 2006,
			output_tokens: 300,
			metadata: { feature: "chat", cached_tokens: 1920 },
		});
		expect(openai.cost_usd).toBeCloseTo(0.005615, 12);
		// Anthropic's input_tokens leave the cache out: 7 × 3 + 16,399 × 0.3 + 2,089 × 3.75 + 445 × 15 = 19,449.45.
		const anthropic = await post(app, "/ingest/llm", {
			...SDK_RECORD,
			model: "claude-sonnet-4-5-20250929",
			provider: "anthropic",
			input_tokens: 7,
			output_tokens: 445,
			metadata: { cache_read_input_tokens: 16399, cache_creation_input_tokens: 2089 },
		});
		expect(anthropic.cost_usd).toBeCloseTo(0.01944945, 12);
		// Gemini bills thinking as output, counted apart: 1,200 × 0.3 + (150 + 400) × 2.5 = 1,735.
		const gemini = await post(app, "/ingest/llm", {
			...SDK_RECORD,
			model: "gemini-2.5-flash",
			provider: "google",
			input_tokens: 1200,
			output_tokens: 150,
			metadata: { reasoning_tokens: 400 },
		});
		expect(gemini.cost_usd).toBeCloseTo(0.001735, 12);
		expect(JSON.parse(String(gemini.metadata))).toEqual({ reasoning_tokens: 400 });
	});

	it("reads the table once for an isolate, then prices from memory", async () => {
		const app = memoryApp();
		await post(app, "/ingest/llm", SDK_RECORD);
		// A cold isolate: Redis (empty here), then Postgres, whose answer goes back to Redis.
		expect(priceCalls(app)).toEqual({ get: 1, list: 1 });
		expect(app.calls.get("priceCache.set")).toBe(1);
		for (let i = 0; i < 5; i++) await post(app, "/ingest/llm", SDK_RECORD);
		expect(priceCalls(app)).toEqual({ get: 1, list: 1 });
	});

	it("stores the record unpriced when no price store answers, and says so on the request's line", async () => {
		const app = memoryApp();
		app.down.add("prices");
		app.down.add("priceCache");
		const log = vi.spyOn(console, "log");
		try {
			const row = await post(app, "/ingest/llm", SDK_RECORD);
			expect(row).toMatchObject({ cost_usd: 0, cost_source: "unknown", price_version: "" });
			expect(app.inserted.llm_usage).toHaveLength(1);
			const lines = log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
			expect(lines.find((l) => l.route === "/ingest/llm")).toMatchObject({ status: 200, prices: "unavailable" });
		} finally {
			log.mockRestore();
		}
	});
});

describe("GenAI spans on /v1/traces", () => {
	beforeEach(() => clearIsolatePrices());

	const span = (name: string, attributes: Record<string, string | number>) => ({
		traceId: "5b8efff798038103d269b633813fc60c",
		spanId: crypto.getRandomValues(new Uint8Array(8)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), ""),
		name,
		startTimeUnixNano: "1771848000000000000",
		endTimeUnixNano: "1771848002100000000",
		attributes: Object.entries(attributes).map(([key, v]) => ({
			key,
			value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v },
		})),
	});
	const traces = (...spans: object[]) => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });

	it("prices model calls from gen_ai.usage.*, cache within input as the conventions say; agent spans are not priced twice", async () => {
		const app = memoryApp();
		const { key } = await app.addKey();
		const body = traces(
			span("chat claude", {
				"gen_ai.operation.name": "chat",
				"gen_ai.provider.name": "anthropic",
				"gen_ai.response.model": "claude-sonnet-4-5-20250929",
				"gen_ai.usage.input_tokens": 12000,
				"gen_ai.usage.output_tokens": 3000,
				"gen_ai.usage.cache_read.input_tokens": 8000,
				"gen_ai.usage.cache_creation.input_tokens": 2000,
			}),
			span("invoke_agent support", {
				"gen_ai.operation.name": "invoke_agent",
				"gen_ai.request.model": "claude-sonnet-4-5",
				"gen_ai.usage.input_tokens": 12000,
				"gen_ai.usage.output_tokens": 3000,
			}),
		);
		const res = await app.send("/v1/traces", {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(res.status).toBe(200);
		const [chat, agent] = app.inserted.llm_usage as Record<string, unknown>[];
		// 2,000 × 3 + 8,000 × 0.3 + 2,000 × 3.75 + 3,000 × 15 = 60,900 → $0.0609.
		expect(chat).toMatchObject({ operation: "chat", cost_source: "inferred", price_version: "1" });
		expect(chat?.cost_usd).toBeCloseTo(0.0609, 12);
		expect(agent).toMatchObject({ operation: "invoke_agent", cost_usd: 0, cost_source: "unknown" });
	});

	it("asks no price store for spans that are not GenAI", async () => {
		const app = memoryApp();
		const { key } = await app.addKey();
		const res = await app.send("/v1/traces", {
			method: "POST",
			headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
			body: JSON.stringify(traces(span("GET /", { "http.method": "GET" }))),
		});
		expect(res.status).toBe(200);
		expect(priceCalls(app)).toEqual({ get: 0, list: 0 });
	});
});
