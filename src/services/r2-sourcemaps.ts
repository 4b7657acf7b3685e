import {
	type MapIndex,
	type MapName,
	OVER_BUDGET,
	type SourceMapBucket,
	type SourceMapStore,
	type UploadedMap,
} from "../ports.ts";
import { INDEX_BUDGET_BYTES } from "../sourcemaps/index-format.ts";
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

	async putMap(m: UploadedMap): Promise<void> {
		await this.bucket.put(mapKey(m.project, m.release, m.file), body(m.chunks, m.bytes), {
			httpMetadata: { contentType: "application/json" },
			customMetadata: metadata(m),
		});
	}

	async publishIndex(m: MapIndex): Promise<void> {
		const customMetadata = metadata(m);
		// The index first and the pointer last: a reader that finds the pointer finds the index.
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

	async index(
		project: string,
		release: string,
		file: string,
		afford?: (bytes: number) => boolean,
	): Promise<ArrayBuffer | null | typeof OVER_BUDGET> {
		const object = await this.bucket.get(indexKey(project, release, file));
		if (object === null) return null;
		// Uploads refuse such an index now; one stored before would be read and decoded again by every error.
		if (object.size > INDEX_BUDGET_BYTES) {
			await object.body.cancel();
			return null;
		}
		// Asked before the body is read: what the request could not afford is never in memory.
		if (afford && !afford(object.size)) {
			await object.body.cancel();
			return OVER_BUDGET;
		}
		return await object.arrayBuffer();
	}
}

const metadata = (m: MapName) => ({
	release: m.release,
	file: m.file,
	key_id: m.keyId,
	uploaded_at: new Date(m.uploadedAt).toISOString(),
});

type FixedLength = new (bytes: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * The map's pieces as one R2 body without joining them into a copy: workerd's FixedLengthStream gives R2 the length
 * it needs, and each piece is let go once written (the store empties `chunks` as it goes). Where there is no
 * FixedLengthStream (Node), a Blob.
 */
function body(chunks: Uint8Array[], bytes: number): ReadableStream<Uint8Array> | Blob | Uint8Array {
	if (chunks.length === 1) return chunks[0] as Uint8Array;
	const Fixed = (globalThis as { FixedLengthStream?: FixedLength }).FixedLengthStream;
	if (Fixed === undefined) return new Blob(chunks as Uint8Array<ArrayBuffer>[]);
	const stream = new Fixed(bytes);
	const writer = stream.writable.getWriter();
	(async () => {
		for (let i = 0; i < chunks.length; i++) {
			const chunk = chunks[i] as Uint8Array;
			chunks[i] = EMPTY;
			await writer.write(chunk);
		}
		await writer.close();
	})().catch((err) => writer.abort(err).catch(() => undefined));
	return stream.readable;
}

const EMPTY = new Uint8Array(0);

/** A worker deployed without the SOURCEMAPS binding: uploads answer 503 and errors are stored unresolved. */
const unbound: SourceMapStore = {
	markProject: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	hasMaps: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	putMap: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	publishIndex: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	deleteRelease: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	releaseFiles: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	latestRelease: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
	index: () => Promise.reject(new Error("SOURCEMAPS is not bound")),
};

export function sourceMapStore(bucket: SourceMapBucket | undefined): SourceMapStore {
	return bucket ? new R2SourceMapStore(bucket) : unbound;
}
