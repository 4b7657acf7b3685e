import type { Context, Next } from "hono";
import { loadConfig } from "../config.ts";
import type { AppDeps, AppEnv } from "./app-env.ts";
import { FailureError } from "./errors.ts";

/** The one place that reads c.env: sets this request's parsed config and services. */
export function attachServices(deps: AppDeps): (c: Context<AppEnv>) => void {
	return function attach(c) {
		const loaded = loadConfig(c.env);
		if (!loaded.ok) {
			console.error(
				JSON.stringify({ request_id: c.get("requestId"), error: "invalid configuration", problems: loaded.problems }),
			);
			throw new FailureError({ kind: "misconfigured" });
		}
		c.set("config", loaded.config);
		c.set("services", deps.createServices(loaded.config));
	};
}

/** attachServices as a middleware, for routes outside the ingest gate (/health/ready). */
export function services(deps: AppDeps) {
	const attach = attachServices(deps);
	return async function servicesMiddleware(c: Context<AppEnv>, next: Next) {
		attach(c);
		await next();
	};
}
