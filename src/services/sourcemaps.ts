import { R2SourceMapStore, type SourceMapBucket, type SourceMapStore } from "../sourcemaps/store.ts";

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
