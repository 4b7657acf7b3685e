import { sha256Hex } from "../util/hex.ts";

/**
 * Error fingerprint: SHA-256 (64 lowercase hex) of what identifies an error, so the same error from the
 * same code path groups across deploys, hosts, services and environments (see CONTRACT.md).
 *
 * Hashed string (UTF-8):
 *   with frames:    `${type}\n${fn}|${file}\n${fn}|${file}…`  in-app frames (else all frames), printed order,
 *                   at most 20 (the innermost ones); fn is "?" on every frame when all names are minified.
 *   without frames: `${type}\n\n${maskedMessage}`  (a frame line always holds "|", so the forms never meet)
 *
 * Pure, Workers-safe (Web Crypto only), linear: input is capped and every regex is anchored or bounded.
 */

export interface StackFrame {
	fn: string;
	file: string;
	inApp: boolean;
}

const MAX_INPUT_CHARS = 64 * 1024;
const MAX_LINES = 256;
const MAX_LINE_CHARS = 2048;
const MAX_FRAMES = 20;
const MAX_MESSAGE_CHARS = 1024;

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
	const { frames, recentLast } = parse(stack);
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
	return parse(stackTrace ?? "").frames;
}

// ---------------------------------------------------------------------------------------------- type

const TYPE_RE = /^((?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*)(?: \[([\w.-]{1,64})\])?(?::|$)/;

export function errorType(errorMessage: string, stackTrace: string): string {
	const head = (stackTrace ?? "").slice(0, MAX_INPUT_CHARS);
	if (isPython(head)) {
		const t = pythonType(stackLines(stackTrace, true));
		if (t) return t;
	}
	return lineType(firstLine(head)) ?? lineType(firstLine(errorMessage ?? "")) ?? "Error";
}

function lineType(line: string): string | null {
	if (line === "") return null;
	if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) return goType(line);
	// Ruby uncaught: "app/models/user.rb:42:in 'User#name': undefined method 'x' for nil (NoMethodError)"
	if (line.includes(":in ") && parseRuby(line)) {
		const m = /\(([A-Z][\w:]{0,200})\)$/.exec(line);
		if (m?.[1]) return m[1];
	}
	const s = line.replace(/^Exception in thread "[^"]*" /, "").replace(/^Uncaught (?:\(in promise\) )?/, "");
	const m = TYPE_RE.exec(s);
	if (!m?.[1]) return null;
	// Node puts the error code in brackets: "Error [ERR_HTTP_HEADERS_SENT]: …"
	return m[2] ? `${m[1]} [${m[2]}]` : m[1];
}

function goType(line: string): string {
	const fatal = line.startsWith("fatal error: ");
	const kind = fatal ? "fatal error" : "panic";
	const rest = line.slice(fatal ? 13 : 7).replace(/ \[recovered[^\]]*\]$/, "");
	// Runtime panics come from a small fixed set of messages, so keep them (masked) to tell them apart;
	// a custom panic value is arbitrary text and its code path already identifies it.
	if (fatal || /^(?:runtime error|interface conversion): |^assignment to entry in nil map/.test(rest)) {
		return `${kind}: ${maskMessage(rest)}`;
	}
	return kind;
}

function pythonType(lines: string[]): string | null {
	// The raised exception is the last unindented "Type: message" line (after any chained tracebacks).
	for (let i = lines.length - 1; i >= 0; i--) {
		const line = (lines[i] ?? "").trimEnd();
		if (line === "" || /^\s/.test(line)) continue;
		const m = TYPE_RE.exec(line);
		if (m?.[1]) return m[1];
	}
	return null;
}

// ------------------------------------------------------------------------------------------- message

const URL_RE = /\b(?:https?|wss?|ftp|file):\/\/[^\s"'<>)\]]*/gi;
const EMAIL_RE = /\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}/g;
const UUID_RE = /\b[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\b/gi;
// Hex ids: 0x…, or 6+ hex chars holding both a digit and a letter (plain numbers fall to <n>, words stay).
const HEX_RE = /\b(?:0x[0-9a-f]+|(?=\d*[a-f])(?=[a-f]*\d)[0-9a-f]{6,})\b/gi;

export function maskMessage(message: string): string {
	return message
		.slice(0, MAX_MESSAGE_CHARS)
		.replace(/\s+/g, " ")
		.trim()
		.replace(URL_RE, "<url>")
		.replace(EMAIL_RE, "<email>")
		.replace(UUID_RE, "<uuid>")
		.replace(HEX_RE, "<hex>")
		.replace(/\d+/g, "<n>");
}

// ------------------------------------------------------------------------------------------- parsing

function isPython(head: string): boolean {
	return head.includes("Traceback (most recent call last):") || /^\s*File "/.test(head);
}

function firstLine(text: string): string {
	const s = text.slice(0, MAX_LINE_CHARS * 4).trimStart();
	const nl = s.search(/\r?\n/);
	return (nl < 0 ? s : s.slice(0, nl)).slice(0, MAX_LINE_CHARS).trim();
}

function stackLines(stack: string, fromEnd: boolean): string[] {
	const text = fromEnd ? stack.slice(-MAX_INPUT_CHARS) : stack.slice(0, MAX_INPUT_CHARS);
	const lines = text.split("\n"); // a trailing "\r" goes with the trim of each line
	const kept = fromEnd ? lines.slice(-MAX_LINES) : lines.slice(0, MAX_LINES);
	return kept.map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l));
}

function parse(stack: string): { frames: StackFrame[]; recentLast: boolean } {
	const python = isPython(stack.slice(0, MAX_INPUT_CHARS));
	const lines = stackLines(stack, python);
	const frames: StackFrame[] = [];
	let goroutines = 0; // Go: only the first goroutine (the one that panicked) is the code path
	let skipSource = false;
	for (let i = 0; i < lines.length; i++) {
		const raw = lines[i] ?? "";
		const line = raw.trim();
		if (line === "") continue;
		if (skipSource) {
			skipSource = false;
			if (!line.startsWith('File "')) continue; // Python's echoed source line
		}
		if (line.startsWith("goroutine ") && /^goroutine \d+ \[/.test(line)) {
			goroutines++;
			continue;
		}
		if (goroutines > 1) continue;
		if (goroutines === 1) {
			const next = lines[i + 1];
			if (next !== undefined && /^\s/.test(next) && !/^\s/.test(raw)) {
				const f = parseGo(line, next.trim());
				if (f) {
					frames.push(f);
					i++;
				}
			}
			continue;
		}
		let f: StackFrame | null = null;
		if (line.startsWith("at ")) f = parseAt(line.slice(3).trim());
		else if (line.startsWith('File "')) {
			f = parsePython(line);
			skipSource = f !== null;
		} else f = parseRuby(line) ?? parseGecko(line);
		if (f) frames.push(f);
	}
	return { frames, recentLast: python };
}

// V8 location inside parens, or bare: "file:line:col", "native", "<anonymous>", "index 0", "eval at …".
const V8_SPECIAL_LOC_RE = /^(?:native|<anonymous>|unknown location|index \d+|eval at )/;
// JVM: "com.acme.Foo.bar(Foo.java:42)" plus an optional logback packaging suffix " ~[app.jar:1.2]".
const JAVA_RE = /^([\w$.<>/-]+\.[\w$<>-]+)\(([^()]*)\)(?:\s+~?\[[^\]]*\])?$/;

function parseAt(rest: string): StackFrame | null {
	if (rest === "") return null;
	const j = rest.includes(" (") ? null : JAVA_RE.exec(rest); // V8 puts a space before "(", the JVM not
	if (j?.[1] !== undefined && j[2] !== undefined) return javaFrame(j[1], j[2]);
	let fn = "";
	let loc = rest;
	if (rest.endsWith(")")) {
		const open = matchingOpen(rest);
		if (open > 0 && rest[open - 1] === " ") {
			fn = rest.slice(0, open - 1);
			loc = rest.slice(open + 1, -1);
		} else if (open === 0) loc = rest.slice(1, -1);
	}
	if (loc.startsWith("async ")) loc = loc.slice(6);
	const path = stripLineCol(loc);
	if (path === loc && !V8_SPECIAL_LOC_RE.test(loc)) return null;
	if (loc.startsWith("eval at ")) {
		// "eval at fn (file:1:2), <anonymous>:1:1": the eval call site is the meaningful location
		const o = loc.indexOf("(");
		const c = loc.indexOf(")", o);
		return jsFrame(fn, stripLineCol(o > 0 && c > o ? loc.slice(o + 1, c) : ""));
	}
	return jsFrame(fn, path);
}

function jsFrame(fn: string, path: string): StackFrame {
	const native =
		path === "" ||
		path === "native" ||
		path === "<anonymous>" ||
		path === "unknown location" ||
		path.startsWith("index ");
	return { fn: normalizeJsFn(fn), file: native ? "" : normalizeFile(path), inApp: !native && jsInApp(path) };
}

function matchingOpen(s: string): number {
	const last = s.lastIndexOf("(");
	if (s.indexOf(")") === s.length - 1) return last; // common case: no parens inside the location
	let depth = 0;
	for (let i = s.length - 1; i >= 0; i--) {
		const c = s[i];
		if (c === ")") depth++;
		else if (c === "(" && --depth === 0) return i;
	}
	return -1;
}

const SAFARI_ANON = new Set(["global code", "module code", "eval code"]);

function parseGecko(line: string): StackFrame | null {
	const at = line.indexOf("@");
	if (at < 0) return null;
	let fn = line.slice(0, at);
	const loc = line.slice(at + 1);
	const star = fn.lastIndexOf("*"); // Firefox async markers: "async*fn", "promise callback*fn"
	if (star >= 0) fn = fn.slice(star + 1);
	if (/\s/.test(fn) && !SAFARI_ANON.has(fn)) return null;
	if (loc === "[native code]") return { fn: normalizeJsFn(fn), file: "", inApp: false };
	const path = stripLineCol(loc);
	if (path === loc) return null;
	const ev = path.indexOf(" line "); // Firefox eval: "https://x/app.js line 2 > eval:1:5"
	return jsFrame(fn, ev > 0 && path.includes(" > ", ev) ? path.slice(0, ev) : path);
}

const PY_RE = /^File "([^"]*)", line \d+(?:, in (.+))?$/;

function parsePython(line: string): StackFrame | null {
	const m = PY_RE.exec(line);
	if (m?.[1] === undefined) return null;
	const path = m[1];
	const inApp = !/site-packages|dist-packages|[/\\]lib[/\\]python\d|[/\\]Lib[/\\]|^</.test(path);
	return { fn: (m[2] ?? "").trim() || "?", file: path.startsWith("<") ? path : normalizeFile(path), inApp };
}

function parseRuby(line: string): StackFrame | null {
	const s = line.startsWith("from ") ? line.slice(5).trimStart() : line;
	const k = s.indexOf(":in ");
	if (k < 0) return null;
	const m = /^(.+):\d+$/.exec(s.slice(0, k));
	const q = s[k + 4];
	if (!m?.[1] || (q !== "'" && q !== "`")) return null;
	const end = s.indexOf("'", k + 5);
	if (end < 0) return null;
	const path = m[1];
	const inApp =
		!/[/\\]gems[/\\]|[/\\]lib[/\\]ruby[/\\]|^<internal:|[/\\]vendor[/\\]bundle[/\\]|[/\\]rubygems[/\\]/.test(path);
	return { fn: s.slice(k + 5, end) || "?", file: path.startsWith("<") ? path : normalizeFile(path), inApp };
}

// Go top-level packages from the standard library (a module path has a dot in its first element, or is main).
const GO_STD = new Set(
	"archive bufio bytes cmp compress container context crypto database debug embed encoding errors expvar flag fmt go hash html image internal io iter log maps math mime net os path plugin reflect regexp runtime slices sort strconv strings structs sync syscall testing text time unicode unique unsafe weak".split(
		" ",
	),
);

function parseGo(fnLine: string, fileLine: string): StackFrame | null {
	let fn: string;
	if (fnLine.startsWith("created by ")) fn = fnLine.slice(11).replace(/ in goroutine \d+$/, "");
	else {
		if (!fnLine.endsWith(")")) return null;
		const open = fnLine.lastIndexOf("(");
		if (open <= 0) return null;
		fn = fnLine.slice(0, open);
	}
	const path = stripLineCol(fileLine.replace(/ \+0x[0-9a-f]+$/, ""));
	if (!path.endsWith(".go")) return null;
	const slash = fn.lastIndexOf("/");
	const dot = fn.indexOf(".", slash + 1);
	const pkg = dot < 0 ? fn : fn.slice(0, dot);
	const top = pkg.split("/")[0] ?? "";
	const inApp = !(fn === "panic" || GO_STD.has(top) || path.includes("/pkg/mod/") || /@v\d/.test(path));
	return { fn, file: normalizeFile(path), inApp };
}

// JVM frames not from the application: the platform, common frameworks, and generated proxies.
const JAVA_LIB_RE =
	/^(?:java|javax|jakarta|jdk|sun|com\.sun|kotlin|kotlinx|scala|groovy|org\.springframework|org\.apache|org\.hibernate|org\.eclipse|org\.glassfish|org\.jboss|io\.netty|io\.undertow|reactor|io\.reactivex|com\.fasterxml|com\.google\.common|com\.google\.gson|com\.zaxxer|org\.postgresql|com\.mysql|org\.junit|org\.slf4j|ch\.qos\.logback|io\.micrometer|io\.grpc|okhttp3|retrofit2|feign|io\.opentelemetry|net\.bytebuddy|org\.aspectj|android|androidx|dalvik|com\.android|io\.ktor)\.|\$Proxy|GeneratedMethodAccessor|\$\$Lambda|\$\$EnhancerBy|\$\$FastClassBy|\$\$SpringCGLIB/;

function javaFrame(rawFn: string, loc: string): StackFrame {
	// Drop the module prefix ("java.base/", "app//") and build-specific numbers in synthetic names.
	const bare = rawFn.replace(/^[^/$]*\/\/?/, "");
	const fn = bare
		.replace(/\$\$Lambda[$.]?[\w$]*?(?:\/(?:0x)?[0-9a-f]+)?(?=\.)/, "$$$$Lambda")
		.replace(/(\$\$(?:EnhancerBy\w*?|FastClassBy\w*?|SpringCGLIB)\$\$)[0-9a-f]+/, "$1")
		.replace(/\$Proxy\d+/, "$$Proxy")
		.replace(/GeneratedMethodAccessor\d+/, "GeneratedMethodAccessor")
		.replace(/(lambda\$[\w]+)\$\d+$/, "$1");
	const file = loc === "Native Method" || loc === "Unknown Source" ? "" : stripLineCol(loc);
	return { fn, file, inApp: !JAVA_LIB_RE.test(bare) };
}

// ---------------------------------------------------------------------------------------- normalising

/** Drops a trailing ":line" or ":line:col" (scanned by hand: an unanchored regex retries every offset). */
function stripLineCol(loc: string): string {
	let end = loc.length;
	for (let n = 0; n < 2; n++) {
		let i = end - 1;
		while (i >= 0 && loc.charCodeAt(i) >= 48 && loc.charCodeAt(i) <= 57) i--;
		if (i === end - 1 || i < 0 || loc[i] !== ":") break;
		end = i;
	}
	return end === loc.length ? loc : loc.slice(0, end);
}

const JS_ANON = new Set(["", "<anonymous>", "anonymous", "global code", "module code", "eval code"]);

function normalizeJsFn(raw: string): string {
	let f = raw.trim();
	if (f.startsWith("async ")) f = f.slice(6);
	if (f.startsWith("new ")) f = f.slice(4);
	if (f.endsWith("]")) f = f.replace(/ \[as [^\]]*\]$/, ""); // V8 alias: "Object.handle [as handler]"
	if (f.startsWith("Object.")) f = f.slice(7); // V8 receiver noise: "Object.<anonymous>", "Object.fetch"
	if (f.endsWith("<")) f = f.replace(/(?:\/<)+$/, "").replace(/<$/, ""); // Firefox inner functions: "outer/<"
	return JS_ANON.has(f) ? "?" : f;
}

function isMinified(fn: string): boolean {
	if (fn === "?") return true;
	const last = fn.slice(fn.lastIndexOf(".") + 1);
	return /^[A-Za-z_$][\w$]?$/.test(last);
}

// Runtime internals, browser extensions and public module CDNs (Deno and browser imports).
const JS_NOT_APP_PREFIX_RE =
	/^(?:(?:node|ext|bun|deno|internal|native|cloudflare-internal|node-internal|wasm):|(?:chrome|resource|chrome-extension|moz-extension|safari-extension|safari-web-extension|webkit-masked-url):\/\/|https?:\/\/(?:deno\.land|jsr\.io|esm\.sh|unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|cdn\.skypack\.dev|ga\.jspm\.io)\/|internal\/)/;

function jsInApp(path: string): boolean {
	return !(
		JS_NOT_APP_PREFIX_RE.test(path) ||
		path.includes("node_modules") ||
		path.includes("webpack/bootstrap") ||
		path.includes("webpack/runtime") ||
		path.includes("/.wrangler/")
	);
}

// Absolute prefixes where builds and checkouts live ("*" is any one directory); what follows is
// project-relative. Longer patterns first; matched segment-wise, cheaper than one big regex.
const DEPLOY_PREFIXES = new Map<string, string[][]>();
for (const pattern of [
	"usr/src/app",
	"usr/local/src/app",
	"usr/src",
	"usr/local/src",
	"usr/app",
	"var/task",
	"var/www/html",
	"var/www/*",
	"var/app/current",
	"var/app/staging",
	"var/app",
	"opt/render/project/src",
	"opt/buildhome/repo",
	"opt/*",
	"srv/*/releases/*",
	"srv/releases/*",
	"srv/*/current",
	"srv/*",
	"home/runner/work/*/*",
	"home/*/*/releases/*",
	"home/*/*/current",
	"home/*/*",
	"Users/*",
	"root/*",
	"builds/*/*",
	"vercel/*",
	"github/workspace",
	"workspaces/*",
	"workspace",
	"code",
	"app",
	"tmp/*",
]) {
	const segs = pattern.split("/");
	const list = DEPLOY_PREFIXES.get(segs[0] ?? "") ?? [];
	list.push(segs);
	DEPLOY_PREFIXES.set(segs[0] ?? "", list);
}

function deployPrefixLength(segs: string[]): number {
	for (const pattern of DEPLOY_PREFIXES.get(segs[0] ?? "") ?? []) {
		if (pattern.length >= segs.length) continue; // a file must remain after the prefix
		if (pattern.every((p, i) => p === "*" || p === segs[i])) return pattern.length;
	}
	return 0;
}

// Where a project's own source tree starts; the rightmost one wins so any prefix before it is irrelevant.
const SOURCE_ROOTS = new Set(["src", "app", "lib", "source", "cmd", "internal", "pkg"]);

// Files repeat across frames and across requests (the same bundles and modules): remember them.
const fileCache = new Map<string, string>();

/** Project-relative, deploy-independent path: no scheme/host/query, prefix, content hash or line:col. */
export function normalizeFile(raw: string): string {
	let file = fileCache.get(raw);
	if (file === undefined) {
		file = normalizePath(raw);
		if (fileCache.size >= 4096) fileCache.clear();
		if (raw.length <= 512) fileCache.set(raw, file);
	}
	return file;
}

function normalizePath(raw: string): string {
	let p = raw.trim();
	if (p.includes(":")) {
		if (/^(?:node|ext|bun|internal|native|cloudflare-internal|node-internal):/.test(p)) return p;
		p = p
			.replace(/^webpack-internal:\/\/\/(?:\([^)]*\)\/)?/, "")
			.replace(/^webpack:\/\/[^/]*\//, "")
			.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "")
			.replace(/^[A-Za-z]:(?=[/\\])/, "");
	}
	const q = p.indexOf("?");
	if (q >= 0) p = p.slice(0, q);
	const h = p.indexOf("#");
	if (h >= 0) p = p.slice(0, h);
	if (p.includes("\\")) p = p.replaceAll("\\", "/");
	let segs = p.split("/").filter((s) => s !== "" && s !== "." && s !== "..");
	const dep = dependencyTail(segs);
	if (dep) segs = dep;
	else {
		if (p.startsWith("/")) segs = segs.slice(deployPrefixLength(segs));
		// Build ids and release timestamps as directories ("/_next/static/<buildId>/", "releases/20240101").
		segs = segs.filter((s, i) => i === segs.length - 1 || !isHashDir(s));
		let root = -1;
		for (let i = segs.length - 2; i >= 0; i--) {
			if (SOURCE_ROOTS.has(segs[i] ?? "")) {
				root = i;
				break;
			}
		}
		segs = root >= 0 ? segs.slice(root) : segs.slice(-2);
	}
	const base = segs.pop();
	if (base === undefined) return "";
	segs.push(stripHashes(base));
	return segs.join("/");
}

/** For library paths, the path inside the package (package managers and versions vary by host). */
function dependencyTail(segs: string[]): string[] | null {
	for (let i = segs.length - 2; i >= 0; i--) {
		const s = segs[i] ?? "";
		if (s === "node_modules" || s === "site-packages" || s === "dist-packages") return segs.slice(i + 1);
		if (s.startsWith("python") && segs[i - 1] === "lib" && /^python\d+(?:\.\d+)?$/.test(s)) return segs.slice(i + 1);
		if (s === "gems" && i + 2 < segs.length) {
			const rest = segs.slice(i + 1);
			rest[0] = (rest[0] ?? "").replace(/-\d[\w.]*$/, "");
			return rest;
		}
		if (s === "mod" && segs[i - 1] === "pkg") return segs.slice(i + 1).map((x) => x.replace(/@v\d[^/]*$/, ""));
	}
	return null;
}

/** "main.3f2a1b9c.chunk.js" → "main.chunk.js", "index-BXn7q2Ld.js" → "index.js", "4f9e8d7c6b5a.js" → "#.js". */
function stripHashes(base: string): string {
	const parts = base.split(".");
	const ext = parts.length > 1 ? parts.pop() : undefined;
	const kept = parts.filter((p, i) => i === 0 || !isHashToken(p));
	let stem = kept[0] ?? "";
	// Cut at the leftmost separator whose whole suffix is a hash (base64url hashes contain "-" and "_").
	for (let i = 1; i < stem.length - 5; i++) {
		const c = stem[i];
		if ((c === "-" || c === "_" || c === "~") && isHashToken(stem.slice(i + 1))) {
			stem = stem.slice(0, i);
			break;
		}
	}
	kept[0] = isHashDir(stem) ? "#" : stem; // the whole name is a hash: "4f9e8d7c6b5a.js"
	return ext === undefined ? kept.join(".") : `${kept.join(".")}.${ext}`;
}

function isHashDir(s: string): boolean {
	return isHashToken(s) && (s.length >= 16 || /^[0-9a-f]+$/.test(s));
}

/** Content hashes and build ids: hex with a digit, esbuild base32, Rollup/Vite and Next base64url. */
function isHashToken(t: string): boolean {
	const n = t.length;
	if (n < 6 || n > 64) return false;
	let digits = 0;
	let upper = 0;
	let innerUpper = 0;
	let lower = 0;
	let seps = 0;
	let hex = true;
	for (let i = 0; i < n; i++) {
		const c = t.charCodeAt(i);
		if (c >= 48 && c <= 57) digits++;
		else if (c >= 97 && c <= 122) {
			lower++;
			if (c > 102) hex = false;
		} else if (c >= 65 && c <= 90) {
			upper++;
			if (i > 0) innerUpper++;
			hex = false;
		} else if (c === 45 || c === 95) {
			seps++;
			hex = false;
		} else return false;
	}
	if (hex) return digits > 0; // webpack/Next/Parcel hex content hashes
	if (n < 8) return false;
	if (seps > 0 && (upper === 0 || lower === 0)) return false; // "app-a1b2c3" is a name plus a hash
	if (lower === 0) return upper > 0 && (digits > 0 || n === 8); // esbuild "AB12CD34"
	if (upper === 0) return digits >= 2 && !/^[a-z]+\d{1,2}$/.test(t); // "x7kq2mz9", not "handler12"
	// Mixed case (Rollup/Vite, Next build ids): a hash has digits or capitals inside, a camel-cased word few.
	return digits > 0 || innerUpper >= 2;
}

function clean(s: string): string {
	return s.includes("|") ? s.replaceAll("|", "/") : s;
}
