import { env } from "cloudflare:test";
import { createClient } from "@clickhouse/client-web";
import worker from "../../src/index.ts";
import { call as callApp } from "../support/call.ts";

export { callApp };

/** Sends a request through the worker's real entry and waits for its background work (the ClickHouse write). */
export function call(path: string, init?: RequestInit): Promise<Response> {
	return callApp(worker, path, init);
}

/** The test stack's control plane: stop/start services for real, create and revoke keys as the CLI does. */
export async function control<T = unknown>(path: string, body: unknown = {}): Promise<T> {
	const res = await fetch(`${env.CONTROL_URL}${path}`, { method: "POST", body: JSON.stringify(body) });
	if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/** Stops a backing service, runs `fn`, and starts the service again whatever happens. */
export async function withServiceStopped<T>(
	name: "clickhouse" | "redis" | "postgres",
	fn: () => Promise<T>,
): Promise<T> {
	await control(`/services/${name}/stop`);
	try {
		return await fn();
	} finally {
		await control(`/services/${name}/start`);
	}
}

export interface TestKey {
	id: string;
	projectId: string;
	key: string;
}

/** Creates a key in a project of its own (unless `project` is given), as `npm run keys -- create` does. */
export function createKey(
	opts: { project?: string; origins?: string[]; rateLimit?: number; expiresAt?: string } = {},
): Promise<TestKey> {
	return control<TestKey>("/keys", { project: opts.project ?? `p-${crypto.randomUUID()}`, ...opts });
}

export function revokeKey(id: string, opts: { evict?: boolean } = {}): Promise<unknown> {
	return control(`/keys/${id}/revoke`, opts);
}

/** Rows of one project, straight from ClickHouse through the production client. */
export async function storedRows<T = Record<string, unknown>>(table: string, projectId: string): Promise<T[]> {
	const client = createClient({
		url: env.CLICKHOUSE_URL,
		username: env.CLICKHOUSE_USER,
		password: env.CLICKHOUSE_PASSWORD,
		database: env.CLICKHOUSE_DATABASE,
	});
	try {
		const result = await client.query({
			query: `SELECT * FROM ${table} WHERE project_id = {project:UUID} ORDER BY received_at`,
			query_params: { project: projectId },
			format: "JSONEachRow",
			clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
		});
		return (await result.json()) as T[];
	} finally {
		await client.close();
	}
}

/** A JSON POST to an ingest route with a key. */
export function ingest(path: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}) {
	return call(path, {
		method: "POST",
		headers: {
			"content-type": "application/json",
			...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
			...headers,
		},
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
}
