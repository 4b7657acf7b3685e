import { sha256Hex } from "../../util/hex.ts";
import { firstLine, parseFrames } from "./frames.ts";
import { maskMessage } from "./mask.ts";
import type { StackFrame } from "./parsers/parser.ts";
import { errorType } from "./type.ts";

/**
 * Error fingerprint: SHA-256 (64 lowercase hex) of what identifies an error, so the same error from the
 * same code path groups across deploys, hosts, services and environments (see docs/api/CONTRACT.md, "The fingerprint").
 *
 * Hashed string (UTF-8):
 *   with frames:    `${type}\n${fn}|${file}\n${fn}|${file}…`  in-app frames (else all frames), printed order,
 *                   at most 20 (the innermost ones); fn is "?" on every frame when all names are minified.
 *   without frames: `${type}\n\n${maskedMessage}`  (a frame line always holds "|", so the forms never meet)
 *
 * Pure, Workers-safe (Web Crypto only), linear: input is capped and every regex is anchored or bounded.
 *
 * The folder, in the order a stack is read: frames.ts splits it into bounded lines and offers each to the
 * platform parsers (parsers/: V8, JVM, Python, Ruby, Go, Gecko/Safari), which name files through paths.ts;
 * type.ts reads the error type, mask.ts the message of an error without frames.
 * Source maps: an error's route fingerprints through src/sourcemaps/fingerprint.ts, which rewrites frames that
 * have an uploaded map to their original place (as V8 lines) and then calls fingerprintError on that text.
 */

export { maskMessage } from "./mask.ts";
export type { StackFrame } from "./parsers/parser.ts";
export { normalizeFile } from "./paths.ts";
export { errorType } from "./type.ts";

const MAX_FRAMES = 20;

// Isolate-lifetime memo: an error seen once is usually seen again (that is why it is grouped), and parsing its
// stack and hashing it again would give the same answer. Bounded in entries and in characters held. Keyed by a
// sketch of the strings (a few dozen characters, not all of them: hashing a whole new 4 KB stack costs as much as
// a lookup should), then confirmed by comparing the strings themselves.
interface Memo {
	stackTrace: string;
	errorMessage: string;
	fingerprint: string;
}
const MEMO_MAX_ENTRIES = 1_000;
const MEMO_MAX_CHARS = 4 * 1024 * 1024;
const MEMO_MAX_KEY_CHARS = 64 * 1024;
let memo = new Map<number, Memo>();
let memoChars = 0;

/** A cheap 32-bit sketch: the length and up to 48 characters spread over the string, the last 16 included. */
function sketch(s: string, seed: number): number {
	const n = s.length;
	let h = Math.imul(seed ^ n, 0x9e3779b1);
	const step = n > 32 ? Math.floor(n / 32) : 1;
	for (let i = 0; i < n; i += step) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
	for (let i = n > 16 ? n - 16 : 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
	return h;
}

function remember(key: number, entry: Memo): void {
	const chars = entry.stackTrace.length + entry.errorMessage.length;
	if (chars > MEMO_MAX_KEY_CHARS) return;
	if (memo.size >= MEMO_MAX_ENTRIES || memoChars + chars > MEMO_MAX_CHARS) {
		memo = new Map();
		memoChars = 0;
	}
	memo.set(key, entry);
	memoChars += chars;
}

/** The fingerprint of an error: from the isolate's memo when this exact stack and message were seen, else computed. */
export function fingerprintError(input: { errorMessage: string; stackTrace: string }): string | Promise<string> {
	const { errorMessage, stackTrace } = input;
	const key = sketch(stackTrace, 1) ^ sketch(errorMessage, 2);
	const known = memo.get(key);
	if (known !== undefined && known.stackTrace === stackTrace && known.errorMessage === errorMessage) {
		return known.fingerprint;
	}
	return sha256Hex(fingerprintKey(input)).then((fingerprint) => {
		remember(key, { stackTrace, errorMessage, fingerprint });
		return fingerprint;
	});
}

/** The exact string that fingerprintError hashes (exported for tests and debugging). */
export function fingerprintKey(input: { errorMessage: string; stackTrace: string }): string {
	const message = input.errorMessage ?? "";
	const stack = input.stackTrace ?? "";
	const type = errorType(message, stack);
	const { frames, recentLast } = parseFrames(stack);
	const usable = frames.filter((f) => f.fn !== "?" || f.file !== "");
	let chosen = usable.filter((f) => f.inApp);
	if (chosen.length === 0) chosen = usable;
	// Keep the innermost frames: first for most formats, last for Python ("most recent call last").
	chosen = recentLast ? chosen.slice(-MAX_FRAMES) : chosen.slice(0, MAX_FRAMES);
	if (chosen.length === 0) {
		let text = message.trim() || firstLine(stack);
		if (text.startsWith(`${type}:`)) text = text.slice(type.length + 1);
		return `${type}\n\n${maskMessage(text)}`;
	}
	// Minified names change between builds; when nothing else names the path, group on files alone.
	const fileOnly = chosen.every((f) => isMinified(f.fn));
	const lines = chosen.map((f) => `${fileOnly ? "?" : clean(f.fn)}|${clean(f.file)}`);
	return `${type}\n${lines.join("\n")}`;
}

export function parseStack(stackTrace: string): StackFrame[] {
	return parseFrames(stackTrace ?? "").frames;
}

function isMinified(fn: string): boolean {
	if (fn === "?") return true;
	const last = fn.slice(fn.lastIndexOf(".") + 1);
	return /^[A-Za-z_$][\w$]?$/.test(last);
}

function clean(s: string): string {
	return s.includes("|") ? s.replaceAll("|", "/") : s;
}
