import type { Context, Next } from "hono";
import { loadConfig } from "../config.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { DEFAULT_DELIVERY } from "../delivery/policy.ts";
import { FailureError } from "./errors.ts";

/** The one place that reads c.env: parsed config and this request's services. */
export function services(deps: AppDeps) {
	const delivery = { ...DEFAULT_DELIVERY, ...deps.delivery };
	return async function servicesMiddleware(c: Context<AppEnv>, next: Next) {
		const loaded = loadConfig(c.env);
		if (!loaded.ok) {
			console.error(
				JSON.stringify({ request_id: c.get("requestId"), error: "invalid configuration", problems: loaded.problems }),
			);
			throw new FailureError({ kind: "misconfigured" });
		}
		c.set("config", loaded.config);
		c.set("services", deps.services(loaded.config));
		c.set("delivery", delivery);
		await next();
	};
}
