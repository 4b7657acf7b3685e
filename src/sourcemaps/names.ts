/**
 * What the client names (a release, a file) and where it is kept. Every key starts with the key's project id
 * (never anything the client sends), and the client's parts are checked or encoded so no name can reach
 * outside its project's prefix or into another release's.
 */

/** As on errors: the release an error names must be one a map can be uploaded under. */
export const MAX_RELEASE_CHARS = 128;
const MAX_FILE_CHARS = 512;
/** A release with more maps than this is not a build: the rest are not searched by suffix (exact names still are). */
export const MAX_RELEASE_FILES = 5000;

// Control characters (C0, DEL, C1) in a name are never a real build's: refuse rather than store them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type NameCheck = { ok: true; value: string } | { ok: false; reason: string };

export function checkRelease(raw: string): NameCheck {
	const release = raw.trim();
	if (release === "") return { ok: false, reason: "release is required" };
	if (release.length > MAX_RELEASE_CHARS)
		return { ok: false, reason: `release exceeds ${MAX_RELEASE_CHARS} characters` };
	if (CONTROL.test(release)) return { ok: false, reason: "release contains control characters" };
	// Only a URL's path can carry one (multipart text is UTF-8): it could be neither a key nor stored.
	if (!release.isWellFormed()) return { ok: false, reason: "release is not well-formed Unicode" };
	// A URL resolves "/ingest/sourcemaps/.." before the worker sees it: such a release could never be deleted.
	if (release === "." || release === "..") return { ok: false, reason: "release must not be . or .." };
	return { ok: true, value: release };
}

/**
 * A map's name as the build folder knows it ("static/chunks/app/page-3f2a.js.map"): backslashes (the SDK on
 * Windows) become slashes and "./" steps go; absolute paths, drive letters and ".." are refused.
 */
export function normaliseMapName(raw: string): NameCheck {
	const name = raw.replaceAll("\\", "/");
	if (name.length === 0 || name.length > MAX_FILE_CHARS) return { ok: false, reason: "invalid file name" };
	if (CONTROL.test(name)) return { ok: false, reason: "file name contains control characters" };
	if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return { ok: false, reason: "file name must be relative" };
	const segments = name.split("/").filter((s) => s !== "" && s !== ".");
	if (segments.includes("..")) return { ok: false, reason: "file name must not contain .." };
	if (segments.length === 0 || !name.endsWith(".map")) return { ok: false, reason: "file name must end in .map" };
	return { ok: true, value: segments.join("/") };
}

// R2 keys are flat strings, but listing is by prefix: a release is percent-encoded so that "v1" can never be a
// prefix of another release's keys ("v1/x" is stored as "v1%2Fx"), and the project id is a UUID from the key.
const releasePart = (release: string) => encodeURIComponent(release);

/** The map as uploaded. */
export const mapKey = (project: string, release: string, file: string) =>
	`m/${project}/${releasePart(release)}/${file}`;
/** The lookup index built from it at upload time (src/sourcemaps/index-format.ts). */
export const indexKey = (project: string, release: string, file: string) =>
	`i/${project}/${releasePart(release)}/${file}`;
/** Every index of a release: what a lookup by file name searches and what a delete removes. */
export const releaseIndexPrefix = (project: string, release: string) => `i/${project}/${releasePart(release)}/`;
export const releaseMapPrefix = (project: string, release: string) => `m/${project}/${releasePart(release)}/`;
/** Which release last uploaded this file name: how a frame without a release finds its map. */
export const latestKey = (project: string, file: string) => `u/${project}/${file}`;
/** Present once the project has uploaded a map: errors of projects without one skip every per-frame lookup. */
export const projectKey = (project: string) => `p/${project}`;

/** R2's limit on a key, in UTF-8 bytes: a longer one is refused on every attempt. */
export const MAX_KEY_BYTES = 1024;
const encoder = new TextEncoder();
const keyBytes = (key: string) => encoder.encode(key).byteLength;
/** The shortest name a map can have (".map"). */
const SHORTEST_FILE = ".map";

/** Whether any map of the release can be stored: its keys' common part leaves room for a name. */
export const releaseFits = (project: string, release: string) =>
	keyBytes(mapKey(project, release, SHORTEST_FILE)) <= MAX_KEY_BYTES;
/** Whether this map's keys (the map's and the index's are the longest) fit R2's limit. */
export const fileFits = (project: string, release: string, file: string) =>
	keyBytes(mapKey(project, release, file)) <= MAX_KEY_BYTES;
