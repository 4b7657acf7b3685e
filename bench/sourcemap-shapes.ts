/**
 * What the source-map benches share (bench/sourcemaps.ts on Node, bench/workerd-sourcemaps.ts inside workerd): the
 * chunk, its 40-frame stack, the error request, and a SourceMapStore in memory.
 */
import { OVER_BUDGET, type SourceMapStore } from "../src/ports.ts";
import { API_KEY } from "./harness.ts";

export const FRAMES = 40;
export const CHUNK = "static/chunks/app/page-4f9e8d7c6b5a.js";

/** An in-memory SourceMapStore: what R2 holds, as bytes. */
export function memoryStore(): SourceMapStore & { files: Map<string, Uint8Array> } {
	const files = new Map<string, Uint8Array>();
	const latest = new Map<string, string>();
	const projects = new Set<string>();
	return {
		files,
		async markProject(project) {
			projects.add(project);
		},
		async hasMaps(project) {
			return projects.has(project);
		},
		async putMap(m) {
			// The map's bytes are what R2 holds, not the isolate: let go of as written, as the R2 store does.
			m.chunks.length = 0;
		},
		async publishIndex(m) {
			files.set(`${m.project}\n${m.release}\n${m.file}`, m.index);
			latest.set(`${m.project}\n${m.file}`, m.release);
		},
		async deleteRelease() {
			return 0;
		},
		async releaseFiles(project, release) {
			const prefix = `${project}\n${release}\n`;
			return [...files.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
		},
		async latestRelease(project, file) {
			return latest.get(`${project}\n${file}`) ?? null;
		},
		async index(project, release, file, afford) {
			const bytes = files.get(`${project}\n${release}\n${file}`);
			if (!bytes) return null;
			return afford && !afford(bytes.byteLength) ? OVER_BUDGET : bytes.slice().buffer; // a fresh buffer, as R2's arrayBuffer() gives
		},
	};
}

/** 40 frames in one chunk; `variant` moves the outermost frame, so the stack is new to the isolate's memo. */
export function stackFor(maxColumn: number, chunk = CHUNK, variant = 0): string {
	const lines = ["TypeError: Cannot read properties of undefined (reading 'id')"];
	for (let i = 0; i < FRAMES; i++) {
		const column = 1 + Math.floor(((i * 7919 + (i === FRAMES - 1 ? variant : 0)) % 997) * (maxColumn / 997));
		lines.push(`    at ${String.fromCharCode(97 + (i % 26))} (https://shop.example/_next/${chunk}:1:${column})`);
	}
	return lines.join("\n");
}

const encoder = new TextEncoder();

export function errorRequest(stack: string): Request {
	const body = JSON.stringify({
		error_message: "Cannot read properties of undefined (reading 'id')",
		stack_trace: stack,
	});
	return new Request("https://ingest.bench/ingest/errors", {
		method: "POST",
		headers: {
			authorization: `Bearer ${API_KEY}`,
			"content-type": "application/json",
			"content-length": String(encoder.encode(body).byteLength),
		},
		body,
	});
}
