import { indexKey, latestKey, mapKey, projectKey, releaseIndexPrefix, releaseMapPrefix } from "./names.ts";

/** A map accepted for storage: the bytes as uploaded and the lookup index built from them. */
export interface StoredMap {
	project: string;
	release: string;
	/** Normalised name, relative to the build folder (src/sourcemaps/names.ts). */
	file: string;
	map: Uint8Array<ArrayBuffer>;
	index: Uint8Array<ArrayBuffer>;
	keyId: string;
	uploadedAt: number;
}

/** Where uploaded source maps live (R2). Every method takes the project from the API key, never from the client. */
export interface SourceMapStore {
	/** Records that the project uploads maps (before its first one is stored). */
	markProject(project: string): Promise<void>;
	/** Whether the project has ever uploaded a map: false spares an error every per-frame lookup. */
	hasMaps(project: string): Promise<boolean>;
	put(map: StoredMap): Promise<void>;
	/** Removes every map of the release; the number of objects removed (0 is not an error). */
	deleteRelease(project: string, release: string): Promise<number>;
	/** The file names uploaded under the release (bounded: MAX_RELEASE_FILES). */
	releaseFiles(project: string, release: string): Promise<string[]>;
	/** The release that last uploaded this file name, or null. */
	latestRelease(project: string, file: string): Promise<string | null>;
	/** The lookup index of one map, or null when there is none. */
	index(project: string, release: string, file: string): Promise<ArrayBuffer | null>;
}

/** A release with more maps than this is not a build: the rest are not searched by suffix (exact names still are). */
export const MAX_RELEASE_FILES = 5000;

/**
 * The part of an R2 bucket binding used here, written out so that dev tooling and the bench (plain Node, no
 * Workers types) type-check the worker's sources too; an R2Bucket is one.
 */
export interface SourceMapBucket {
	put(
		key: string,
		value: ArrayBuffer | ArrayBufferView | string,
		options?: { httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> },
	): Promise<unknown>;
	get(key: string): Promise<{ text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> } | null>;
	head(key: string): Promise<{ customMetadata?: Record<string, string> } | null>;
	delete(keys: string | string[]): Promise<void>;
	list(options: {
		prefix: string;
		limit: number;
		cursor?: string;
	}): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
}

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
