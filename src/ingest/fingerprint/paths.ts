// Where a frame's file is, made the same across deploys, hosts and builds: the path the fingerprint hashes.

/** Drops a trailing ":line" or ":line:col" (scanned by hand: an unanchored regex retries every offset). */
export function stripLineCol(loc: string): string {
	let end = loc.length;
	for (let n = 0; n < 2; n++) {
		let i = end - 1;
		while (i >= 0 && loc.charCodeAt(i) >= 48 && loc.charCodeAt(i) <= 57) i--;
		if (i === end - 1 || i < 0 || loc[i] !== ":") break;
		end = i;
	}
	return end === loc.length ? loc : loc.slice(0, end);
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
