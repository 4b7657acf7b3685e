import { describe, expect, it } from "vitest";
import { committedOpenApi, OPENAPI_JSON } from "../../dev/openapi.ts";
import { buildOpenApiDocument } from "../../src/openapi/document.ts";

// GET /openapi.json serves the committed src/generated/openapi.json; it must be exactly what the builder makes
// from the current schemas (fix: `npm run openapi`, or `npm run dev`).

describe("src/generated/openapi.json", () => {
	it("is what src/openapi/document.ts builds from the current schemas, key order included", () => {
		const built = buildOpenApiDocument();
		const committed = committedOpenApi();
		expect(committed, OPENAPI_JSON).toEqual(built);
		expect(JSON.stringify(committed), "regenerate with: npm run openapi").toBe(JSON.stringify(built));
	});

	it("documents the handlers' request schemas, not a stale copy", () => {
		const schemas = (buildOpenApiDocument().components.schemas ?? {}) as Record<string, { properties?: object }>;
		for (const name of ["LogsRequest", "ErrorRequest", "SpanRequest", "LlmRequest", "ExportTraceServiceRequest"]) {
			expect(schemas[name]?.properties, name).toBeDefined();
		}
	});
});
