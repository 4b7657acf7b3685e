import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** Maps per request, as the Next.js SDK sends them. */
export const FILES_PER_REQUEST = 20;

/** Every *.map under `dir` (node_modules skipped), sorted, as paths relative to `dir` with "/" separators. */
export async function findMaps(dir: string): Promise<string[]> {
	const entries = await readdir(dir, { recursive: true, withFileTypes: true });
	return entries
		.filter((e) => e.isFile() && e.name.endsWith(".map"))
		.map((e) => relative(dir, join(e.parentPath, e.name)).replaceAll("\\", "/"))
		.filter((name) => !name.split("/").includes("node_modules"))
		.sort();
}

export interface UploadOptions {
	dir: string;
	release: string;
	url: string;
	key: string;
	log?: (line: string) => void;
}

/**
 * Uploads a build folder's maps the way the SDK does: `release` then 20 `files` a request, each named by its
 * path relative to the folder. Stops at the first refused request; returns how many maps were stored.
 */
export async function uploadFolder(o: UploadOptions): Promise<{ stored: number; refused: number }> {
	const names = await findMaps(o.dir);
	if (names.length === 0) throw new Error(`no .map files under ${o.dir}`);
	const endpoint = `${o.url.replace(/\/$/, "")}/ingest/sourcemaps`;
	let stored = 0;
	let refused = 0;
	for (let i = 0; i < names.length; i += FILES_PER_REQUEST) {
		const form = new FormData();
		form.append("release", o.release);
		for (const name of names.slice(i, i + FILES_PER_REQUEST)) {
			form.append("files", new Blob([await readFile(join(o.dir, name))], { type: "application/json" }), name);
		}
		const res = await fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${o.key}` }, body: form });
		const text = await res.text();
		if (!res.ok) throw new Error(`upload refused (${res.status}): ${text}`);
		const body = JSON.parse(text) as { count: number; refused?: { file: string; reason: string }[] };
		stored += body.count;
		for (const r of body.refused ?? []) {
			refused++;
			o.log?.(`refused ${r.file}: ${r.reason}`);
		}
	}
	return { stored, refused };
}

export async function deleteRelease(o: Omit<UploadOptions, "dir">): Promise<void> {
	const res = await fetch(`${o.url.replace(/\/$/, "")}/ingest/sourcemaps/${encodeURIComponent(o.release)}`, {
		method: "DELETE",
		headers: { authorization: `Bearer ${o.key}` },
	});
	if (!res.ok) throw new Error(`delete refused (${res.status}): ${await res.text()}`);
}
