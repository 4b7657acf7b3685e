/**
 * Writes test/worker/fixtures/sourcemaps.json: the app in test/fixtures/sourcemap-app built twice with esbuild
 * (minified, with maps, content-hashed chunk names; build B has code injected ahead of the app, so its minified
 * names and offsets differ), each build's maps as the Next.js SDK would upload them, and the stack each build throws,
 * with its file URLs rewritten as a browser on https://shop.example would print them.
 *
 * Run: node --experimental-strip-types dev/sourcemap-fixtures.ts (esbuild is Node-only, so the worker tests
 * read the committed output instead of building).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ROOT } from "./local-env.ts";

const APP = join(ROOT, "test/fixtures/sourcemap-app");
const OUT = join(ROOT, "test/worker/fixtures/sourcemaps.json");

interface Build {
	maps: { name: string; content: string }[];
	stack: string;
}

async function buildOnce(inject: string[]): Promise<Build> {
	// Inside the app's folder, so the maps' relative source paths do not depend on where the repository lives.
	const dist = join(APP, "dist");
	rmSync(dist, { recursive: true, force: true });
	try {
		await build({
			entryPoints: { "static/chunks/app/page": join(APP, "src/page.ts") },
			outdir: dist,
			entryNames: "[dir]/[name]-[hash]",
			bundle: true,
			minify: true,
			sourcemap: true,
			format: "esm",
			inject,
			logLevel: "silent",
		});
		const chunks = join(dist, "static/chunks/app");
		const js = readdirSync(chunks).find((f) => f.endsWith(".js")) as string;
		const mod = (await import(pathToFileURL(join(chunks, js)).href)) as { run(): string };
		let stack = "";
		try {
			mod.run();
		} catch (err) {
			stack = (err as Error).stack ?? "";
		}
		// file:///tmp/…/static/chunks/app/page-HASH.js:1:234 → https://shop.example/_next/static/chunks/app/page-HASH.js:1:234
		stack = stack
			.split("\n")
			.filter((l) => !l.includes("dev/sourcemap-fixtures.ts") && !l.includes("node:internal"))
			.join("\n")
			.replaceAll(pathToFileURL(dist).href, "https://shop.example/_next");
		const maps = readdirSync(chunks)
			.filter((f) => f.endsWith(".map"))
			.map((f) => ({ name: relative(dist, join(chunks, f)), content: readFileSync(join(chunks, f), "utf8") }));
		return { maps, stack };
	} finally {
		rmSync(dist, { recursive: true, force: true });
	}
}

const a = await buildOnce([]);
const b = await buildOnce([join(APP, "src/warm-up.ts")]);
writeFileSync(OUT, `${JSON.stringify({ a, b }, null, "\t")}\n`);
console.log(`wrote ${relative(ROOT, OUT)}\n--- A\n${a.stack}\n--- B\n${b.stack}`);
