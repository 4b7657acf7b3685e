import {
	MaxFileSizeExceededError,
	MaxTotalSizeExceededError,
	MultipartParseError,
	type MultipartPart,
	parseMultipartStream,
} from "@remix-run/multipart-parser";
import type { Failure } from "../failure.ts";
import type { SourceMapStore } from "../ports.ts";
import { buildIndex } from "./index-format.ts";
import { readMapMembers } from "./map-json.ts";
import { checkRelease, normaliseMapName } from "./names.ts";

/** As documented: the whole request. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** One map: larger ones would not fit the isolate's cache of indexes (src/sourcemaps/cache.ts) anyway. */
export const MAX_MAP_BYTES = 20 * 1024 * 1024;

export interface RefusedFile {
	file: string;
	reason: string;
}

export type UploadResult =
	| { ok: true; release: string; count: number; refused: RefusedFile[] }
	| { ok: false; failure: Failure };

interface UploadInput {
	body: ReadableStream<Uint8Array>;
	boundary: string;
	project: string;
	keyId: string;
	now: number;
	store: SourceMapStore;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads the multipart body one part at a time (the parser holds the current part only) and stores each map as
 * it arrives, so memory peaks at about one part whatever the request's size. A file refused for itself is
 * reported, not fatal: the Next.js SDK abandons the rest of a build on any non-2xx.
 */
export async function storeUpload(input: UploadInput): Promise<UploadResult> {
	let release: string | undefined;
	let marked = false;
	let count = 0;
	const refused: RefusedFile[] = [];
	try {
		const parts = parseMultipartStream(input.body, {
			boundary: input.boundary,
			// The request limit bounds every part too; MAX_MAP_BYTES is checked per file so one big map is refused alone.
			maxFileSize: MAX_UPLOAD_BYTES,
			maxTotalSize: MAX_UPLOAD_BYTES,
		});
		for await (const part of parts) {
			const filename = partFilename(part);
			if (filename === undefined) {
				if (part.name !== "release") continue; // unknown fields are ignored, as on every route
				if (release !== undefined) return invalid("release is sent more than once");
				const checked = checkRelease(decodeText(part) ?? "");
				if (!checked.ok) return invalid(checked.reason);
				release = checked.value;
				continue;
			}
			// Files are stored as they stream past, so the release they belong to must already be known.
			if (release === undefined) return invalid("release is required, before the files");
			if (!marked) {
				await mark(input);
				marked = true;
			}
			const outcome = await storeFile(part, filename, release, input);
			if (outcome === "stored") count++;
			else refused.push({ file: filename, reason: outcome });
		}
	} catch (err) {
		if (err instanceof MaxTotalSizeExceededError || err instanceof MaxFileSizeExceededError)
			return { ok: false, failure: { kind: "payload_too_large", maxBytes: MAX_UPLOAD_BYTES } };
		if (err instanceof MultipartParseError) return invalid("malformed multipart body");
		if (err instanceof StorageError) return { ok: false, failure: { kind: "write_unavailable" } };
		if (err instanceof TypeError) return invalid("malformed multipart body"); // the body stream broke off
		throw err;
	}
	if (release === undefined) return invalid("release is required");
	if (count === 0 && refused.length === 0) return invalid("no files: send one or more source maps as `files`");
	if (count === 0) return invalid(`no file was stored: ${refused.map((r) => `${r.file}: ${r.reason}`).join("; ")}`);
	return { ok: true, release, count, refused };
}

class StorageError extends Error {}

/** Before the first map: a project's errors are looked up only once it is marked, so nothing stored goes unused. */
async function mark(input: UploadInput): Promise<void> {
	try {
		await input.store.markProject(input.project);
	} catch (err) {
		console.error(JSON.stringify({ outcome: "sourcemap_store_failed", error: String(err) }));
		throw new StorageError();
	}
}

const invalid = (message: string): UploadResult => ({ ok: false, failure: { kind: "invalid_upload", message } });

function decodeText(part: MultipartPart): string | null {
	try {
		return utf8.decode(part.bytes);
	} catch {
		return null;
	}
}

async function storeFile(
	part: MultipartPart,
	filename: string,
	release: string,
	input: UploadInput,
): Promise<"stored" | string> {
	const name = normaliseMapName(filename);
	if (!name.ok) return name.reason;
	if (part.size > MAX_MAP_BYTES) return `larger than ${MAX_MAP_BYTES / (1024 * 1024)} MB`;
	const map = part.bytes as Uint8Array<ArrayBuffer>;
	part.content.length = 0; // the parser's chunks of this part, now copied into `map`: collectable from here
	const index = buildIndex(readMapMembers(map));
	if (!index.ok) return index.reason;
	try {
		await input.store.put({
			project: input.project,
			release,
			file: name.value,
			map,
			index: index.index,
			keyId: input.keyId,
			uploadedAt: input.now,
		});
	} catch (err) {
		console.error(JSON.stringify({ outcome: "sourcemap_store_failed", error: String(err) }));
		throw new StorageError();
	}
	return "stored";
}

/**
 * The part's filename exactly as sent. Read from the raw header rather than the parser's, because the parser
 * drops every backslash and the SDK on Windows sends "static\chunks\app.js.map": Node's FormData sends them
 * as they are (percent-encoding only `"`, CR and LF), workerd's escapes them as `\\`. Both come out as one.
 */
export function partFilename(part: MultipartPart): string | undefined {
	const header = part.headers["content-disposition"];
	if (header === undefined) return undefined;
	if (/;\s*filename\*\s*=/i.test(header)) return part.filename; // RFC 5987 form: the parser decodes it
	const m = /;\s*filename\s*=\s*(?:"([^"]*)"|([^;]*))/i.exec(header);
	if (!m) return undefined;
	const raw = m[1] ?? (m[2] ?? "").trim();
	return raw
		.replace(/\\(["\\])/g, "$1")
		.replace(/%(22|0A|0D)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
