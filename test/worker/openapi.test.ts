import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { call, createKey, ingest, type TestKey } from "./helpers.ts";

// /openapi.json against the app: structurally OpenAPI 3.1, every served route documented (and nothing
// else), the documented examples valid for their schemas, and the live responses of the golden
// contract requests (and of the documented refusals) valid for the documented response schemas.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };
type Doc = {
	openapi: string;
	info: { title: string; version: string };
	paths: Record<string, Record<string, Operation>>;
	components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
};
type Operation = {
	security?: Record<string, string[]>[];
	requestBody?: { content: Record<string, { schema: Schema; example?: Json }> };
	responses: Record<string, { description: string; content?: Record<string, { schema: Schema; example?: Json }> }>;
};

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The JSON Schema 2020-12 keywords this document uses; anything else fails the test rather than pass unchecked. */
const SUPPORTED = new Set([
	"$ref",
	"type",
	"const",
	"enum",
	"properties",
	"required",
	"additionalProperties",
	"propertyNames",
	"items",
	"anyOf",
	"oneOf",
	"minimum",
	"maximum",
	"minLength",
	"maxLength",
	"minItems",
	"maxItems",
	"pattern",
	"format",
	"default",
	"description",
	"contentMediaType",
]);

function typeOf(v: unknown): string {
	if (v === null) return "null";
	if (Array.isArray(v)) return "array";
	if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
	return typeof v;
}

/** A small JSON Schema validator for the subset above; returns the errors, [] when valid. */
function validate(doc: Doc, schema: Schema | boolean, value: unknown, path = "$"): string[] {
	if (schema === true) return [];
	if (schema === false) return [`${path}: no value allowed`];
	for (const key of Object.keys(schema)) if (!SUPPORTED.has(key)) return [`${path}: unsupported keyword ${key}`];
	const errors: string[] = [];
	const s = schema as Record<string, unknown>;
	if (typeof s.$ref === "string") {
		const target = resolve(doc, s.$ref);
		if (!target) return [`${path}: unresolved ${s.$ref}`];
		errors.push(...validate(doc, target as Schema, value, path));
	}
	if (s.type !== undefined) {
		const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
		const t = typeOf(value);
		if (!types.includes(t) && !(t === "integer" && types.includes("number"))) {
			return [...errors, `${path}: expected ${types.join("|")}, got ${t}`];
		}
	}
	if ("const" in s && JSON.stringify(s.const) !== JSON.stringify(value)) errors.push(`${path}: not ${String(s.const)}`);
	if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
		errors.push(`${path}: not one of ${s.enum.join(", ")}`);
	}
	if (typeof value === "number") {
		if (typeof s.minimum === "number" && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
		if (typeof s.maximum === "number" && value > s.maximum) errors.push(`${path}: above ${s.maximum}`);
	}
	if (typeof value === "string") {
		if (typeof s.minLength === "number" && value.length < s.minLength) errors.push(`${path}: too short`);
		if (typeof s.maxLength === "number" && value.length > s.maxLength) errors.push(`${path}: too long`);
		if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(value)) errors.push(`${path}: pattern`);
	}
	if (Array.isArray(value)) {
		if (typeof s.minItems === "number" && value.length < s.minItems) errors.push(`${path}: too few items`);
		if (typeof s.maxItems === "number" && value.length > s.maxItems) errors.push(`${path}: too many items`);
		if (s.items !== undefined) {
			for (const [i, v] of value.entries()) errors.push(...validate(doc, s.items as Schema, v, `${path}[${i}]`));
		}
	}
	if (typeOf(value) === "object") {
		const obj = value as Record<string, unknown>;
		const props = (s.properties ?? {}) as Record<string, Schema>;
		for (const r of (s.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}.${r}: required`);
		for (const [k, v] of Object.entries(obj)) {
			if (k in props) errors.push(...validate(doc, props[k] as Schema, v, `${path}.${k}`));
			else if (s.additionalProperties !== undefined) {
				errors.push(...validate(doc, s.additionalProperties as Schema, v, `${path}.${k}`));
			}
			if (s.propertyNames !== undefined) errors.push(...validate(doc, s.propertyNames as Schema, k, `${path}{${k}}`));
		}
	}
	if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => validate(doc, sub as Schema, value, path).length === 0)) {
		errors.push(`${path}: matches no anyOf branch`);
	}
	if (Array.isArray(s.oneOf)) {
		const matches = s.oneOf.filter((sub) => validate(doc, sub as Schema, value, path).length === 0).length;
		if (matches !== 1) errors.push(`${path}: matches ${matches} oneOf branches`);
	}
	return errors;
}

function resolve(doc: Doc, ref: string): unknown {
	if (!ref.startsWith("#/")) return undefined;
	let node: unknown = doc;
	for (const part of ref.slice(2).split("/")) {
		if (node === null || typeof node !== "object") return undefined;
		node = (node as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
	}
	return node;
}

function operations(doc: Doc): [string, string, Operation][] {
	return Object.entries(doc.paths).flatMap(([path, item]) =>
		Object.entries(item)
			.filter(([m]) => METHODS.includes(m))
			.map(([m, op]): [string, string, Operation] => [m, path, op]),
	);
}

/** GET /openapi.json is a static asset, served ahead of the worker (which never sees it): ask the assets binding. */
const openApiJson = () => env.ASSETS.fetch("http://ingest.test/openapi.json");

let doc: Doc;
let k: TestKey;

beforeAll(async () => {
	const res = await openApiJson();
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toContain("application/json");
	doc = (await res.json()) as Doc;
	k = await createKey({ origins: ["https://app.example.com"] });
});

/** Checks a live response against the documented schema of its route, method and status. */
async function conforms(method: string, path: string, res: Response): Promise<unknown> {
	const op = doc.paths[path]?.[method];
	expect(op, `${method} ${path} documented`).toBeDefined();
	const documented = op?.responses[String(res.status)];
	expect(documented, `${method} ${path} ${res.status} documented`).toBeDefined();
	const body = await res.json();
	const schema = documented?.content?.["application/json"]?.schema;
	expect(schema, `${method} ${path} ${res.status} has a JSON schema`).toBeDefined();
	expect(validate(doc, schema as Schema, body), `${method} ${path} ${res.status}: ${JSON.stringify(body)}`).toEqual([]);
	return body;
}

describe("GET /openapi.json", () => {
	it("is a structurally valid OpenAPI 3.1 document whose every $ref resolves", () => {
		expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
		expect(typeof doc.info.title).toBe("string");
		expect(typeof doc.info.version).toBe("string");
		expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
		for (const [method, path, op] of operations(doc)) {
			expect(path.startsWith("/"), path).toBe(true);
			const statuses = Object.keys(op.responses);
			expect(statuses.length, `${method} ${path}`).toBeGreaterThan(0);
			for (const status of statuses) {
				expect(status, `${method} ${path}`).toMatch(/^[1-5]\d\d$/);
				expect(typeof op.responses[status]?.description).toBe("string");
			}
			for (const s of op.security ?? [])
				for (const name of Object.keys(s)) expect(doc.components.securitySchemes[name]).toBeDefined();
			// Authenticated operations document the project's refusals.
			if (op.security?.some((s) => "bearer" in s)) {
				for (const status of ["401", "403", "413", "415", "429", "503"])
					expect(op.responses[status], `${path} ${status}`).toBeDefined();
				expect(op.responses["429"]).toHaveProperty("headers.Retry-After");
				expect(op.responses["503"]).toHaveProperty("headers.Retry-After");
			}
		}
		const refs: string[] = [];
		const walk = (v: unknown) => {
			if (v === null || typeof v !== "object") return;
			for (const [key, value] of Object.entries(v)) {
				if (key === "$ref" && typeof value === "string") refs.push(value);
				else walk(value);
			}
		};
		walk(doc);
		expect(refs.length).toBeGreaterThan(20);
		for (const r of refs) expect(resolve(doc, r), r).toBeDefined();
		// The validator refuses what it should (so "valid" below means something).
		expect(validate(doc, { $ref: "#/components/schemas/OkCount" }, { ok: false, count: -1 })).toHaveLength(2);
		expect(validate(doc, { $ref: "#/components/schemas/ValidationError" }, { error: "x" })).not.toEqual([]);
		// The schemas use only the keywords the validator here checks.
		for (const [name, schema] of Object.entries(doc.components.schemas)) {
			expect(
				validate(doc, schema, undefined).filter((e) => e.includes("unsupported")),
				name,
			).toEqual([]);
		}
	});

	it("documents every route the app serves, and only those", () => {
		const app = createApp({
			createServices: () => {
				throw new Error("not used");
			},
		});
		const served = new Set([
			...app.routes
				.filter((r) => r.method !== "ALL")
				.map((r) => `${r.method.toLowerCase()} ${r.path.length > 1 ? r.path.replace(/\/$/, "") : r.path}`)
				.map((route) => route.replace(/:(\w+)/g, "{$1}")), // Hono's :param is OpenAPI's {param}
			// A static asset (wrangler.toml [assets]), not an app route.
			"get /openapi.json",
		]);
		const documented = new Set(operations(doc).map(([m, p]) => `${m} ${p}`));
		expect([...documented].sort()).toEqual([...served].sort());
		for (const route of [
			"get /health",
			"get /health/ready",
			"post /ingest/logs",
			"post /ingest/errors",
			"post /ingest/traces",
			"post /ingest/llm",
			"post /ingest/drain",
			"post /ingest/sourcemaps",
			"delete /ingest/sourcemaps/{release}",
			"post /v1/traces",
			"post /v1/logs",
			"get /openapi.json",
		]) {
			expect(documented.has(route), route).toBe(true);
		}
	});

	it("the documented request examples are valid for their documented schemas", () => {
		let checked = 0;
		for (const [method, path, op] of operations(doc)) {
			for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
				if (media.example === undefined) continue;
				expect(validate(doc, media.schema, media.example), `${method} ${path} ${type}`).toEqual([]);
				checked++;
			}
			for (const [status, r] of Object.entries(op.responses)) {
				for (const media of Object.values(r.content ?? {})) {
					if (media.example === undefined) continue;
					expect(validate(doc, media.schema, media.example), `${method} ${path} ${status}`).toEqual([]);
					checked++;
				}
			}
		}
		expect(checked).toBeGreaterThanOrEqual(15);
	});
});

describe("live responses match the documented schemas", () => {
	it("the golden contract requests: each documented example sent as is", async () => {
		for (const path of ["/ingest/logs", "/ingest/errors", "/ingest/traces", "/ingest/llm"]) {
			const example = doc.paths[path]?.post?.requestBody?.content["application/json"]?.example;
			const res = await ingest(path, k.key, example);
			expect(res.status, path).toBe(200);
			const body = await conforms("post", path, res);
			const documented = doc.paths[path]?.post?.responses["200"]?.content?.["application/json"]?.example;
			if (path === "/ingest/errors") expect(Object.keys(body as object)).toEqual(Object.keys(documented as object));
			else expect(body).toEqual(documented);
		}
	});

	it("health, readiness, drain verification and this document", async () => {
		await conforms("get", "/health", await call("/health"));
		const ready = await call("/health/ready");
		expect([200, 503]).toContain(ready.status);
		await conforms("get", "/health/ready", ready);
		await conforms(
			"get",
			"/ingest/drain",
			await call("/ingest/drain", { headers: { authorization: `Bearer ${k.key}` } }),
		);
		await conforms("get", "/openapi.json", await openApiJson());
	});

	it("the documented refusals: 400 (both shapes), 401, 403, 413, 415, 429", async () => {
		const invalid = await ingest("/ingest/errors", k.key, { service: "my-app" });
		expect(invalid.status).toBe(400);
		const issues = (await conforms("post", "/ingest/errors", invalid)) as { error: { issues: { path: string[] }[] } };
		expect(issues.error.issues.map((i) => i.path)).toContainEqual(["error_message"]);
		const malformed = await ingest("/ingest/logs", k.key, "{");
		expect(malformed.status).toBe(400);
		await conforms("post", "/ingest/logs", malformed);
		expect((await conforms("post", "/ingest/llm", await ingest("/ingest/llm", undefined, {}))) as object).toEqual({
			error: "Missing or invalid API key",
		});
		await conforms(
			"post",
			"/ingest/traces",
			await ingest("/ingest/traces", k.key, {}, { origin: "https://evil.test" }),
		);
		await conforms("post", "/ingest/logs", await ingest("/ingest/logs", k.key, {}, { "content-length": "6000000" }));
		await conforms(
			"post",
			"/ingest/logs",
			await ingest("/ingest/logs", k.key, "x", { "content-type": "application/xml" }),
		);
		const limited = await createKey({ rateLimit: 1 });
		await ingest("/ingest/llm", limited.key, {});
		const tooMany = await ingest("/ingest/llm", limited.key, {});
		expect(tooMany.status).toBe(429);
		await conforms("post", "/ingest/llm", tooMany);
	});

	it("OTLP/JSON: success, partial success and the 400 Status", async () => {
		const traces = await ingest("/v1/traces", k.key, { resourceSpans: [] });
		expect(await conforms("post", "/v1/traces", traces)).toEqual({});
		const partial = await ingest("/v1/logs", k.key, {
			resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: "abcd", body: { stringValue: "x" } }] }] }],
		});
		expect(await conforms("post", "/v1/logs", partial)).toEqual({
			partialSuccess: { rejectedLogRecords: "1", errorMessage: "1 rejected: trace_id must be 16 bytes" },
		});
		const bad = await ingest("/v1/traces", k.key, { resourceSpans: "nope" });
		expect(bad.status).toBe(400);
		await conforms("post", "/v1/traces", bad);
	});
});
