import { Hono } from "hono/tiny";
import type { AppEnv } from "../context.ts";
import document from "../generated/openapi.json" with { type: "json" };

// GET /openapi.json: OpenAPI 3.1, its request bodies generated from the very zod schemas the handlers validate
// with. src/openapi/document.ts builds it; dev/openapi.ts (also run by `npm run dev`) writes it to
// src/generated/openapi.json, served here as is, so the worker carries neither the builder nor zod's JSON
// Schema code; test/dev/openapi-fresh.test.ts fails when the file differs from what the builder makes.

export function openApiRoutes() {
	return new Hono<AppEnv>().get("/", (c) => c.json(document));
}
