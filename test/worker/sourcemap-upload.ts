import { env } from "cloudflare:test";
import { call } from "./helpers.ts";

// What the source map tests send: multipart bodies as the Next.js SDK builds them (FormData), and hand-made ones.

export interface MapFile {
	name: string;
	content: string;
}

export function form(release: string | undefined, files: MapFile[]): FormData {
	const body = new FormData();
	if (release !== undefined) body.append("release", release);
	for (const f of files) body.append("files", new Blob([f.content], { type: "application/json" }), f.name);
	return body;
}

export function upload(
	key: string,
	release: string | undefined,
	files: MapFile[],
	headers: Record<string, string> = {},
) {
	return call("/ingest/sourcemaps", {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, ...headers },
		body: form(release, files),
	});
}

/** A valid map of a chunk that never throws: what fills a real build folder. */
export const filler = (name: string): MapFile => ({
	name,
	content: JSON.stringify({ version: 3, sources: ["src/other.ts"], names: [], mappings: "AAAA" }),
});

/** The R2 keys under a prefix. */
export async function keys(prefix: string): Promise<string[]> {
	return (await env.SOURCEMAPS.list({ prefix })).objects.map((o) => o.key);
}

const utf8 = new TextEncoder();

/**
 * A multipart body by hand, streamed in `chunkBytes` pieces (copies, as the network delivers them): `parts` are
 * [headers, body] pairs; `end` false leaves the closing delimiter out; `fail` errors the stream after the parts,
 * as a client that hangs up does.
 */
export function multipart(
	boundary: string,
	parts: [string, string | Uint8Array][],
	opts: { end?: boolean; chunkBytes?: number; fail?: Error } = {},
): { body: ReadableStream<Uint8Array>; contentType: string } {
	const pieces: Uint8Array[] = [];
	for (const [headers, body] of parts) {
		pieces.push(utf8.encode(`--${boundary}\r\n${headers}\r\n\r\n`));
		pieces.push(typeof body === "string" ? utf8.encode(body) : body);
		pieces.push(utf8.encode("\r\n"));
	}
	if (opts.end !== false) pieces.push(utf8.encode(`--${boundary}--\r\n`));
	const size = opts.chunkBytes ?? 64 * 1024;
	let piece = 0;
	let offset = 0;
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			const p = pieces[piece];
			if (!p) {
				if (opts.fail) controller.error(opts.fail);
				else controller.close();
				return;
			}
			controller.enqueue(p.slice(offset, offset + size));
			offset += size;
			if (offset >= p.byteLength) {
				piece++;
				offset = 0;
			}
		},
	});
	return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export const fileHeaders = (name: string) =>
	`Content-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/json`;
export const RELEASE_HEADERS = 'Content-Disposition: form-data; name="release"';

/** Sends a hand-made multipart body with a key. */
export function send(key: string, m: { body: ReadableStream<Uint8Array>; contentType: string }) {
	return call("/ingest/sourcemaps", {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": m.contentType },
		body: m.body,
		duplex: "half",
	} as RequestInit);
}
