import type { Context } from "hono";
import type { AppEnv } from "../../http/app-env.ts";
import { mediaType } from "../../http/body.ts";
import { FailureError } from "../../http/errors.ts";
import { json } from "../../http/respond.ts";
import { forgetProject } from "../../sourcemaps/cache.ts";
import { multipartBoundary } from "../../sourcemaps/multipart.ts";
import { checkRelease, releaseFits } from "../../sourcemaps/names.ts";
import { storeUpload } from "../../sourcemaps/upload.ts";

/**
 * Browser keys are public (they ship in every page, and the SDK falls back to NEXT_PUBLIC_DEEPTRACER_KEY): a key
 * with allowed origins must not replace or delete a project's maps, with or without an Origin (curl sends none);
 * and a request with an Origin is a browser's, whatever its key.
 */
function refuseBrowsers(c: Context<AppEnv>): void {
	if (c.req.header("origin") !== undefined) throw new FailureError({ kind: "origin_refused" });
	if (c.get("apiKey").allowedOrigins.length > 0) throw new FailureError({ kind: "server_key_required" });
}

/** POST /ingest/sourcemaps: multipart `release` then `files`; 200 with the count stored and any files refused. */
export function uploadHandler(now: () => number) {
	return async function uploadSourceMaps(c: Context<AppEnv>): Promise<Response> {
		refuseBrowsers(c);
		const contentType = c.req.header("content-type");
		if (mediaType(contentType) !== "multipart/form-data")
			throw new FailureError({ kind: "unsupported_media_type", what: "multipart" });
		const encoding = (c.req.header("content-encoding") ?? "").trim().toLowerCase();
		if (encoding !== "" && encoding !== "identity")
			throw new FailureError({ kind: "unsupported_media_type", what: "content-encoding" });
		const boundary = multipartBoundary(contentType ?? "");
		if (!boundary.ok) throw new FailureError({ kind: "invalid_upload", message: boundary.reason });
		const body = c.req.raw.body;
		if (!body) throw new FailureError({ kind: "invalid_upload", message: "malformed multipart body" });
		const key = c.get("apiKey");
		const event = c.get("event");
		event.format = "multipart";
		const result = await storeUpload({
			body,
			boundary: boundary.boundary,
			project: key.projectId,
			keyId: key.id,
			now: now(),
			store: c.get("services").sourceMaps,
		});
		event.bytes = result.bytes;
		forgetProject(key.projectId); // maps may have been stored, even by an upload refused part-way
		if (!result.ok) throw new FailureError(result.failure);
		Object.assign(event, { count: result.count, refused: result.refused.length });
		return json(c, {
			ok: true,
			release: result.release,
			count: result.count,
			...(result.refused.length > 0 ? { refused: result.refused } : {}),
		});
	};
}

/** DELETE /ingest/sourcemaps/:release: every map of the release in the key's project; idempotent. */
export async function deleteSourceMaps(c: Context<AppEnv>): Promise<Response> {
	refuseBrowsers(c);
	const checked = checkRelease(c.req.param("release") ?? "");
	if (!checked.ok) throw new FailureError({ kind: "invalid_upload", message: checked.reason });
	const project = c.get("apiKey").projectId;
	if (!releaseFits(project, checked.value)) return json(c, { ok: true }); // no map can have been stored under it
	let removed: number;
	try {
		removed = await c.get("services").sourceMaps.deleteRelease(project, checked.value);
	} catch (err) {
		console.error(
			JSON.stringify({ request_id: c.get("requestId"), outcome: "sourcemap_store_failed", error: String(err) }),
		);
		throw new FailureError({ kind: "write_unavailable" });
	}
	forgetProject(project);
	c.get("event").count = removed;
	return json(c, { ok: true });
}
