import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

// README "Architecture", checked: what each part of src/ may import. A rule broken by a new import fails here with
// the file and the import that broke it.

const ROOT = join(import.meta.dirname, "../../src");

/** Every .ts file under src/, as a path relative to src/ ("http/intake.ts"). */
function sourceFiles(dir = ROOT): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const path = join(dir, e.name);
		if (e.isDirectory()) return sourceFiles(path);
		return e.name.endsWith(".ts") ? [relative(ROOT, path)] : [];
	});
}

const IMPORT =
	/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)|(?:^|\n)\s*import\s+"([^"]+)"/g;

/** The imports of one file: relative ones resolved to paths under src/, packages by name. */
function importsOf(file: string, text: string): string[] {
	const out: string[] = [];
	for (const m of text.matchAll(IMPORT)) {
		const spec = (m[1] ?? m[2] ?? m[3]) as string;
		out.push(spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec);
	}
	return out;
}

type Graph = Map<string, string[]>;

function graph(): Graph {
	return new Map(sourceFiles().map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), "utf8"))]));
}

const inside = (file: string, ...parts: string[]) => parts.some((p) => file === p || file.startsWith(`${p}/`));
const VENDOR_CLIENT = /^@(clickhouse|upstash|neondatabase)\//;
/** Folders whose code sees no request and no vendor: pure logic, or logic over the ports. */
const CORE = [
	"ingest",
	"otlp",
	"ratelimit",
	"util",
	"sourcemaps",
	"prices",
	"delivery",
	"auth",
	"ports.ts",
	"failure.ts",
	"config.ts",
];

/** The rules, each a name and a predicate over one import edge: true when the edge breaks it. */
const RULES: [string, (from: string, to: string) => boolean][] = [
	[
		"the core (ingest, otlp, ratelimit, util, sourcemaps, prices, delivery, auth, ports, failure, config) never imports http/, routes/, services/ or the app",
		(from, to) => inside(from, ...CORE) && inside(to, "http", "routes", "services", "app.ts", "index.ts"),
	],
	[
		"only http/, routes/ and app.ts see Hono",
		(from, to) => (to === "hono" || to.startsWith("hono/")) && !inside(from, "http", "routes", "app.ts"),
	],
	[
		"only services/ knows a vendor client (ClickHouse, Upstash, Neon)",
		(from, to) => VENDOR_CLIENT.test(to) && !inside(from, "services"),
	],
	[
		"ports.ts imports nothing but the rate limiter's answer type",
		(from, to) => from === "ports.ts" && to !== "ratelimit/budget.ts",
	],
	["failure.ts imports nothing", (from) => from === "failure.ts"],
	["services/ never imports http/ or routes/", (from, to) => inside(from, "services") && inside(to, "http", "routes")],
	[
		"the worker never imports Node, dev/, bench/ or test/",
		(_from, to) => to.startsWith("node:") || to.startsWith("../"),
	],
	[
		"openapi/ is build-time: nothing of the worker imports it",
		(from, to) => inside(to, "openapi") && !inside(from, "openapi"),
	],
];

function violations(g: Graph): string[] {
	const out: string[] = [];
	for (const [from, tos] of g) {
		for (const to of tos)
			for (const [rule, broken] of RULES) if (broken(from, to)) out.push(`${rule}: ${from} → ${to}`);
	}
	return out;
}

/** Import circles among src/ files (type-only imports included: they still tie the files' meaning together). */
function circles(g: Graph): string[][] {
	const found: string[][] = [];
	const state = new Map<string, "open" | "done">();
	const stack: string[] = [];
	const visit = (f: string) => {
		state.set(f, "open");
		stack.push(f);
		for (const to of g.get(f) ?? []) {
			if (!g.has(to)) continue;
			if (state.get(to) === "open") found.push([...stack.slice(stack.indexOf(to)), to]);
			else if (!state.has(to)) visit(to);
		}
		stack.pop();
		state.set(f, "done");
	};
	for (const f of g.keys()) if (!state.has(f)) visit(f);
	return found;
}

describe("the layering README describes", () => {
	const g = graph();

	it("reads the whole worker", () => {
		expect(g.size).toBeGreaterThan(60);
		expect(g.get("http/intake.ts")).toContain("http/accept.ts");
	});

	it.each(RULES.map(([rule]) => [rule]))("%s", (rule) => {
		const broken = violations(g).filter((v) => v.startsWith(`${rule}:`));
		expect(broken).toEqual([]);
	});

	it("has no import circle", () => {
		expect(circles(g).map((c) => c.join(" → "))).toEqual([]);
	});

	it("catches what it is there to catch", () => {
		// The edge an earlier version had: the Vercel mapping reading text helpers from the HTTP layer.
		const broken = new Map(g);
		broken.set("ingest/vercel.ts", [...(g.get("ingest/vercel.ts") ?? []), "http/body.ts"]);
		expect(violations(broken).some((v) => v.endsWith("ingest/vercel.ts → http/body.ts"))).toBe(true);
		broken.set("http/body.ts", [...(g.get("http/body.ts") ?? []), "http/errors.ts"]);
		broken.set("http/errors.ts", [...(g.get("http/errors.ts") ?? []), "http/body.ts"]);
		expect(circles(broken).length).toBeGreaterThan(0);
		expect(importsOf("ingest/x.ts", 'import type { A } from "../http/body.ts";\nexport { b } from "./b.ts";')).toEqual([
			"http/body.ts",
			"ingest/b.ts",
		]);
	});
});

/** The imports evaluated with a file: static ones that are not type-only (an `import()` waits for its first call). */
function evaluatedImportsOf(file: string, text: string): string[] {
	const out: string[] = [];
	const statement = /(?:^|\n)\s*(import|export)\s+(type\s)?[^;]*?\sfrom\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"/g;
	for (const m of text.matchAll(statement)) {
		if (m[2]) continue;
		const spec = (m[3] ?? m[4]) as string;
		out.push(spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec);
	}
	return out;
}

/** Everything a new isolate evaluates before its first request: the entry's evaluated imports, transitively. */
function startupClosure(): Set<string> {
	const seen = new Set<string>();
	const visit = (file: string) => {
		if (seen.has(file)) return;
		seen.add(file);
		if (!file.endsWith(".ts")) return; // a package
		for (const to of evaluatedImportsOf(file, readFileSync(join(ROOT, file), "utf8"))) visit(to);
	};
	visit("index.ts");
	return seen;
}

describe("what a new isolate evaluates (README Performance)", () => {
	it("is not zod: the contract's schemas and zod load with the first body the fast paths do not take", () => {
		const closure = startupClosure();
		expect(closure.has("http/intake.ts")).toBe(true);
		expect([...closure].filter((f) => f === "zod" || f.startsWith("zod/"))).toEqual([]);
		expect([...closure].filter((f) => f === "ingest/schemas.ts" || f === "otlp/decode-json.ts")).toEqual([]);
	});

	it("tells a static import from a dynamic or type-only one", () => {
		const text =
			'import * as z from "zod/mini";\nimport type { A } from "./a.ts";\nimport { b } from "./b.ts";\nimport "./c.ts";\nconst d = () => import("./d.ts");';
		expect(evaluatedImportsOf("ingest/x.ts", text)).toEqual(["zod/mini", "ingest/b.ts", "ingest/c.ts"]);
	});
});
