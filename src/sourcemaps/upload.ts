import type { Failure } from "../failure.ts";
import type { SourceMapStore } from "../ports.ts";
import { concatBytes } from "../util/bytes.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { nextTurn } from "../util/yield.ts";
import { type IndexPlan, planIndex } from "./index-format.ts";
import { MapScanner } from "./map-json.ts";
import { MultipartError, MultipartReader } from "./multipart.ts";
import { checkRelease, fileFits, MAX_KEY_BYTES, normaliseMapName, releaseFits } from "./names.ts";

/** As documented: the whole request. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** One map: larger ones would not fit the isolate's cache of indexes (src/sourcemaps/cache.ts) anyway. */
export const MAX_MAP_BYTES = 20 * 1024 * 1024;
/** Parts of one request, fields and files alike (the Next.js SDK sends 21: the release and 20 maps). */
export const MAX_PARTS = 1000;
/** Files being written at once: R2 round trips overlap instead of adding up (3 a file, in order). */
const WRITE_CONCURRENCY = 8;
/**
 * What files still being written may hold while the next part is read: small maps overlap, a large one is written
 * before reading on, so an upload holds about one part (its bytes, then its mappings and index) at a time.
 */
const WRITE_AHEAD_BYTES = 1024 * 1024;
/** A piece of a part scanned between two turns of the event loop (a body already in memory comes in large pieces). */
const SCAN_SLICE_BYTES = 256 * 1024;
/** The `release` field: 128 characters once trimmed; more is not a release. */
const MAX_FIELD_BYTES = 4096;

interface RefusedFile {
	file: string;
	reason: string;
}

export type UploadResult =
	| { ok: true; release: string; count: number; refused: RefusedFile[]; bytes: number }
	| { ok: false; failure: Failure; bytes: number };

interface UploadInput {
	body: ReadableStream<Uint8Array>;
	boundary: string;
	project: string;
	keyId: string;
	now: number;
	store: SourceMapStore;
}

/** A map read whole, found fit to store, not yet written. */
interface Received {
	file: string;
	chunks: Uint8Array[];
	bytes: number;
	plan: IndexPlan;
	/** Bytes it holds until written: the part, its mappings, its index. */
	held: number;
}

const invalid = (message: string): Failure => ({ kind: "invalid_upload", message });

/**
 * Reads the multipart body one part at a time, each part piece by piece, and stores each map as it arrives (see
 * Writes), so memory holds about one part whatever the request's size. A file refused for itself is reported, not
 * fatal: the Next.js SDK abandons the rest of a build on any non-2xx. For the same reason, once a map is stored the
 * answer is 200: what could not be read after it (a broken body, too many parts) is listed in `refused` with the
 * rest; before any is, such a request is refused whole and nothing of it is stored.
 */
export async function storeUpload(input: UploadInput): Promise<UploadResult> {
	const reader = new MultipartReader(input.body, input.boundary, MAX_UPLOAD_BYTES);
	const writes = new Writes(input);
	const refused: RefusedFile[] = [];
	let release: string | undefined;
	let secondRelease = false;
	let parts = 0;
	/** Why reading stopped before the body's end, and at which file. */
	let stopped: { failure: Failure; file: string; reason: string } | undefined;
	const progress = { file: "" };
	const done = async (failure?: Failure): Promise<UploadResult> => {
		reader.cancel();
		await writes.settle();
		const bytes = reader.bytesRead;
		if (failure) return { ok: false, failure, bytes };
		if (stopped?.failure.kind === "client_closed") return { ok: false, failure: stopped.failure, bytes };
		if (writes.failed) return { ok: false, failure: { kind: "write_unavailable" }, bytes };
		if (stopped && writes.stored > 0) refused.push({ file: stopped.file, reason: stopped.reason });
		else if (stopped) return { ok: false, failure: stopped.failure, bytes };
		if (release === undefined) return { ok: false, failure: invalid("release is required"), bytes };
		if (writes.stored === 0 && refused.length === 0)
			return { ok: false, failure: invalid("no files: send one or more source maps as `files`"), bytes };
		if (writes.stored === 0) {
			const why = refused.map((r) => `${r.file}: ${r.reason}`).join("; ");
			return { ok: false, failure: invalid(`no file was stored: ${why}`), bytes };
		}
		return { ok: true, release, count: writes.stored, refused, bytes };
	};
	try {
		for (;;) {
			const head = await reader.nextPart();
			if (head === null) break;
			if (++parts > MAX_PARTS) {
				const message = `more than ${MAX_PARTS} parts in one request`;
				stopped = {
					failure: invalid(message),
					file: head.filename ?? head.name ?? "",
					reason: `${message}: this part and the rest were not read`,
				};
				break;
			}
			if (head.filename === undefined) {
				if (head.name !== "release") continue; // unknown fields are ignored, as on every route
				const text = await readField(reader);
				if (release !== undefined) {
					// Files already taken belong to the first release: those after a second one are not stored.
					if (writes.accepted === 0) return await done(invalid("release is sent more than once"));
					secondRelease = true;
					continue;
				}
				const checked = checkRelease(text ?? "");
				if (!checked.ok) return await done(invalid(checked.reason));
				if (!releaseFits(input.project, checked.value))
					return await done(invalid(`release is too long to store (a map's key would exceed ${MAX_KEY_BYTES} bytes)`));
				release = checked.value;
				continue;
			}
			// Files are stored as they stream past, so the release they belong to must already be known.
			if (release === undefined) return await done(invalid("release is required, before the files"));
			if (writes.failed) break; // storage is failing: the answer is 503, reading on is wasted
			if (secondRelease) {
				refused.push({ file: head.filename, reason: "sent after a second release field: not stored" });
				continue;
			}
			progress.file = head.filename;
			const received = await receiveFile(reader, head.filename, release, input);
			progress.file = "";
			if ("reason" in received) refused.push(received);
			else await writes.add(received, release);
		}
	} catch (err) {
		if (!(err instanceof MultipartError)) {
			reader.cancel(); // the rest of the body is never read
			await writes.settle();
			throw err;
		}
		stopped = stoppedBy(err, progress.file);
	}
	return done();
}

function stoppedBy(err: MultipartError, file: string): { failure: Failure; file: string; reason: string } {
	const where = file === "" ? "" : " (inside this file)";
	if (err.why === "closed") return { failure: { kind: "client_closed" }, file, reason: err.message };
	if (err.why === "too_large")
		return {
			failure: { kind: "payload_too_large", maxBytes: MAX_UPLOAD_BYTES },
			file,
			reason: `the request exceeds ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB${where}: the rest was not read`,
		};
	return { failure: invalid(err.message), file, reason: `${err.message}${where}: the rest was not read` };
}

/** A text field's value (bounded), or null when it is not UTF-8 or too long to be one. */
async function readField(reader: MultipartReader): Promise<string | null> {
	const pieces: Uint8Array[] = [];
	let size = 0;
	for (let piece = await reader.bodyChunk(); piece !== null; piece = await reader.bodyChunk()) {
		size += piece.byteLength;
		if (size <= MAX_FIELD_BYTES) pieces.push(piece);
	}
	if (size > MAX_FIELD_BYTES) return "x".repeat(MAX_FIELD_BYTES); // refused as over-long by checkRelease
	return decodeUtf8(concatBytes(pieces, size));
}

/**
 * One file part, read to its end: held piece by piece as it arrives (never joined into a copy) and scanned as it
 * passes, so that when it ends its index is sized and the map is refused or taken before anything of it is stored.
 * A part refused on the way is read to its end without being held.
 */
async function receiveFile(
	reader: MultipartReader,
	filename: string,
	release: string,
	input: UploadInput,
): Promise<Received | RefusedFile> {
	const name = normaliseMapName(filename);
	if (!name.ok) return { file: filename, reason: name.reason };
	if (!fileFits(input.project, release, name.value))
		return { file: filename, reason: `file name too long to store (its key would exceed ${MAX_KEY_BYTES} bytes)` };
	const scanner = new MapScanner();
	let chunks: Uint8Array[] = [];
	let bytes = 0;
	let reason: string | undefined;
	for (let piece = await reader.bodyChunk(); piece !== null; piece = await reader.bodyChunk()) {
		bytes += piece.byteLength;
		if (reason !== undefined) continue;
		if (bytes > MAX_MAP_BYTES) reason = `larger than ${MAX_MAP_BYTES / (1024 * 1024)} MB`;
		else if (!(await scanPiece(scanner, piece))) reason = "not a source map";
		if (reason !== undefined) {
			chunks = [];
			continue;
		}
		chunks.push(piece);
	}
	if (reason !== undefined) return { file: filename, reason };
	const scan = scanner.finish();
	if (!scan.ok) return { file: filename, reason: scan.reason };
	const planned = await planIndex(scan.map, bytes);
	if (!planned.ok) return { file: filename, reason: planned.reason };
	return {
		file: name.value,
		chunks,
		bytes,
		plan: planned.plan,
		held: bytes + scan.map.mappingsBytes + planned.plan.bytes,
	};
}

/** Feeds a piece to the scanner a slice at a time, letting the isolate's other requests run between slices. */
async function scanPiece(scanner: MapScanner, piece: Uint8Array): Promise<boolean> {
	for (let at = 0; at < piece.byteLength; at += SCAN_SLICE_BYTES) {
		if (at > 0) await nextTurn();
		if (!scanner.feed(piece.subarray(at, at + SCAN_SLICE_BYTES))) return false;
	}
	return true;
}

/**
 * The writes of one upload, a few files at a time. A file's writes go in order: the map, then (its bytes released)
 * the index is built and published, index before pointer (the store's guarantee: a reader that finds the pointer
 * finds the index). The project is marked before its first map, so nothing stored goes unused. The same name twice
 * in one request: the later one is written after the earlier, and wins, as it would one by one.
 */
class Writes {
	accepted = 0;
	stored = 0;
	failed = false;
	private readonly input: UploadInput;
	private readonly inFlight = new Set<Promise<void>>();
	private held = 0;
	private readonly last = new Map<string, Promise<void>>();
	private marked: Promise<void> | undefined;

	constructor(input: UploadInput) {
		this.input = input;
	}

	/** Starts the file's writes; returns once reading on keeps within the bounds (WRITE_CONCURRENCY, WRITE_AHEAD_BYTES). */
	async add(file: Received, release: string): Promise<void> {
		this.accepted++;
		const job = this.write(file, release, this.last.get(file.file));
		this.last.set(file.file, job);
		this.inFlight.add(job);
		this.held += file.held;
		job.then(() => {
			this.inFlight.delete(job);
			this.held -= file.held;
		});
		while (this.inFlight.size >= WRITE_CONCURRENCY || (this.inFlight.size > 0 && this.held > WRITE_AHEAD_BYTES))
			await Promise.race(this.inFlight);
	}

	/** Never rejects: a failure is recorded (`failed`), logged once, and answered 503 when the upload ends. */
	private async write(file: Received, release: string, before: Promise<void> | undefined): Promise<void> {
		const { store, project, keyId, now } = this.input;
		try {
			await before;
			this.marked ??= store.markProject(project);
			await this.marked;
			if (this.failed) return;
			const at = { project, release, file: file.file, keyId, uploadedAt: now };
			await store.putMap({ ...at, chunks: file.chunks, bytes: file.bytes });
			file.chunks = [];
			await store.publishIndex({ ...at, index: await file.plan.build() });
			this.stored++;
		} catch (err) {
			if (!this.failed) console.error(JSON.stringify({ outcome: "sourcemap_store_failed", error: String(err) }));
			this.failed = true;
		}
	}

	async settle(): Promise<void> {
		while (this.inFlight.size > 0) await Promise.all(this.inFlight);
	}
}
