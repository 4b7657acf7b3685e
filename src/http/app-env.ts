import type { Config } from "../config.ts";
import type { DeliveryOptions } from "../delivery/policy.ts";
import type { ApiKeyRecord, Services } from "../ports.ts";
import type { LimitOptions } from "../ratelimit/edge.ts";
import type { WideEvent } from "./wide-event.ts";

export interface AppDeps {
	/**
	 * The services for a parsed config. Production builds them once per isolate and config: they hold no I/O
	 * object of any request (every call makes its own fetch), so requests may share them.
	 */
	createServices(config: Config): Services;
	/** The clock of every timestamp the app makes (received_at, key freshness, health); Date.now unless a test sets it. */
	now?(): number;
	delivery?: Partial<DeliveryOptions>;
	limits?: Partial<LimitOptions>;
}

/** AppDeps with its defaults applied, once, by createApp: what routes and middleware are given. */
export type Deps = Omit<AppDeps, "delivery"> & { now(): number; delivery: DeliveryOptions };

/**
 * The request's facts that middleware hands on: who is asking (requestId, apiKey), what to log (event), what to
 * answer with (headers), and what to reach stores with (config, services). A request's body is never here: it is
 * one value passed along by the intake pipeline (http/intake.ts).
 */
export interface AppEnv {
	Bindings: Env;
	Variables: {
		requestId: string;
		event: WideEvent;
		/** This request's response headers (src/http/respond.ts). */
		headers: Record<string, string>;
		config: Config;
		services: Services;
		apiKey: ApiKeyRecord;
	};
}
