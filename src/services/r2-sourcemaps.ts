import type { SourceMapBucket, SourceMapStore, StoredMap } from "../ports.ts";
import {
	indexKey,
	latestKey,
	MAX_RELEASE_FILES,
	mapKey,
	projectKey,
	releaseIndexPrefix,
	releaseMapPrefix,
} from "../sourcemaps/names.ts";

/** Uploaded source maps in R2, laid out by project (README "Source maps"; the key names are sourcemaps/names.ts). */
export class R2SourceMapStore implements SourceMapStore {
	private readonly bucket: SourceMapBucket;
	constructor(bucket: SourceMapBucket) {
		this.bucket = bucket;
	}

	async markProject(project: string): Promise<void> {
		await this.bucket.put(projectKey(project), "1");
	}

	async hasMaps(project: string): Promise<boolean> {
		return (await this.bucket.head(projectKey(project))) !== null;
	}

	async put(m: StoredMap): Promise<void> {
		const customMetadata = {
			release: m.release,
			file: m.file,
			key_id: m.keyId,
			uploaded_at: new Date(m.uploadedAt).toISOString(),
		};
		// The index first and the pointer last: a reader that finds the pointer finds the index.
		await this.bucket.put(mapKey(m.project, m.release, m.file), m.map, {
			httpMetadata: { contentType: "application/json" },
			customMetadata,
		});
		await this.bucket.put(indexKey(m.project, m.release, m.file), m.index, { customMetadata });
		await this.bucket.put(latestKey(m.project, m.file), m.release, { customMetadata });
	}

	async deleteRelease(project: string, release: string): Promise<number> {
		let removed = 0;
		for (const prefix of [releaseIndexPrefix(project, release), releaseMapPrefix(project, release)]) {
			for (;;) {
				// Deleting what was listed and listing again from the start: the listing shrinks each round.
				const page = await this.bucket.list({ prefix, limit: 1000 });
				if (page.objects.length === 0) break;
				const keys = page.objects.map((o) => o.key);
				await this.bucket.delete(keys);
				removed += keys.length;
				if (prefix.startsWith("i/")) await this.dropPointers(project, release, keys, prefix.length);
				if (!page.truncated) break;
			}
		}
		return removed;
	}

	/** Pointers to the deleted release go too, so a frame without a release stops resolving through it. */
	private async dropPointers(project: string, release: string, keys: string[], prefixLength: number) {
		const pointers = keys.map((k) => latestKey(project, k.slice(prefixLength)));
		const heads = await Promise.all(pointers.map((k) => this.bucket.head(k)));
		const stale = pointers.filter((_, i) => heads[i]?.customMetadata?.release === release);
		if (stale.length > 0) await this.bucket.delete(stale);
	}

	async releaseFiles(project: string, release: string): Promise<string[]> {
		const prefix = releaseIndexPrefix(project, release);
		const files: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await this.bucket.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
			for (const o of page.objects) files.push(o.key.slice(prefix.length));
			cursor = page.truncated ? page.cursor : undefined;
		} while (cursor && files.length < MAX_RELEASE_FILES);
		return files;
	}

	async latestRelease(project: string, file: string): Promise<string | null> {
		const object = await this.bucket.get(latestKey(project, file));
		return object ? await object.text() : null;
	}

	async index(project: string, release: string, file: string): Promise<ArrayBuffer | null> {
		const object = await this.bucket.get(indexKey(project, release, file));
		return object ? await object.arrayBuffer() : null;
	}
}

/** A worker deployed without the SOURCEMAPS binding: uploads answer 503 and errors are stored unresolved. */
const unbound: SourceMapStore = {
	markProject: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	hasMaps: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	put: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	deleteRelease: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	releaseFiles: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	latestRelease: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	index: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
};

export function sourceMapStore(bucket: SourceMapBucket | undefined): SourceMapStore {
	return bucket ? new R2SourceMapStore(bucket) : unbound;
}
