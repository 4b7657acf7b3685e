import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildOpenApiDocument } from "../src/openapi/document.ts";

// Writes src/generated/openapi.json (what GET /openapi.json serves) from src/openapi/document.ts, which builds it
// from the handlers' zod schemas. Run by `npm run dev`, or alone: node --experimental-strip-types dev/openapi.ts.
// test/dev/openapi-fresh.test.ts fails when the committed file differs from what this builds.

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OPENAPI_JSON = join(ROOT, "src", "generated", "openapi.json");

/** The committed document, or undefined when the file is missing or not JSON. */
export function committedOpenApi(): unknown {
	try {
		return JSON.parse(readFileSync(OPENAPI_JSON, "utf8"));
	} catch {
		return undefined;
	}
}

/** Rewrites the file (formatted by Biome, as `npm run lint` expects) unless it already holds the document; true when it wrote. */
export function writeOpenApiJson(): boolean {
	const doc = buildOpenApiDocument();
	// Key order included: the route serves the file as it is.
	if (JSON.stringify(committedOpenApi()) === JSON.stringify(doc)) return false;
	writeFileSync(OPENAPI_JSON, `${JSON.stringify(doc, null, "\t")}\n`);
	execFileSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", OPENAPI_JSON], { stdio: "ignore" });
	return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	console.log(writeOpenApiJson() ? `wrote ${OPENAPI_JSON}` : `${OPENAPI_JSON} is current`);
}
