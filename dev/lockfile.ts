/**
 * `npm run lock`: the one command that (re)generates package-lock.json.
 *
 * `npm ci` refuses a lock that lacks an entry for any optional dependency of a locked package, on every platform
 * (chdb's `@chdb/lib-darwin-arm64` on Linux too). `npm install` writes those entries from each package's registry
 * manifest; a registry that serves only some platforms (this project's mirror serves only chdb's linux-x64 library)
 * makes npm leave the others out, and `npm ci` then fails. This runs `npm install --package-lock-only` and then adds
 * each missing optional entry with the platform its name declares, as npm would. Against the full npm registry the
 * second step finds nothing to add. test/dev/lockfile.test.ts fails when the committed lock lacks an entry.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./local-env.ts";

export const LOCKFILE = join(ROOT, "package-lock.json");

interface LockEntry {
	version?: string;
	dev?: boolean;
	optional?: boolean;
	optionalDependencies?: Record<string, string>;
	[field: string]: unknown;
}
export interface Lockfile {
	packages: Record<string, LockEntry>;
	[field: string]: unknown;
}

/** Where Node would find `name` from the package installed at `from` (its own node_modules, then each parent's). */
function resolves(lock: Lockfile, from: string, name: string): boolean {
	let dir = from;
	for (;;) {
		if (lock.packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
		if (dir === "") return false;
		const up = dir.lastIndexOf("/node_modules/");
		dir = up === -1 ? "" : dir.slice(0, up);
	}
}

/** Optional dependencies of locked packages that have no entry npm ci could find: `[dependent, name, spec]`. */
export function missingOptionals(lock: Lockfile): [string, string, string][] {
	const missing: [string, string, string][] = [];
	for (const [path, entry] of Object.entries(lock.packages)) {
		for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
			if (!resolves(lock, path, name)) missing.push([path, name, spec]);
		}
	}
	return missing;
}

const OS: Record<string, string> = { darwin: "darwin", linux: "linux", win32: "win32", windows: "win32" };
const CPU = new Set(["x64", "arm64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64"]);
const LIBC: Record<string, string> = { gnu: "glibc", glibc: "glibc", musl: "musl" };

/** The platform a per-platform package's name declares (`@chdb/lib-linux-arm64-gnu`), as npm's os/cpu/libc fields. */
export function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } | undefined {
	const tokens = (name.split("/").pop() ?? "").split("-");
	const os = tokens.map((t) => OS[t]).find(Boolean);
	const cpu = tokens.find((t) => CPU.has(t));
	const libc = tokens.map((t) => LIBC[t]).find(Boolean);
	if (!os || !cpu) return undefined;
	return { os: [os], cpu: [cpu], ...(libc && os === "linux" ? { libc: [libc] } : {}) };
}

/** Adds the missing optional entries (hoisted, as npm places them); returns the names it added. */
export function completeOptionals(lock: Lockfile): string[] {
	const added: string[] = [];
	for (const [dependent, name, spec] of missingOptionals(lock)) {
		const platform = platformOf(name);
		if (!platform || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
			throw new Error(
				`${dependent}: cannot add optional ${name}@${spec} without its manifest (not a pinned platform package)`,
			);
		}
		const parent = lock.packages[dependent];
		const at = lock.packages[`node_modules/${name}`] ? `${dependent}/node_modules/${name}` : `node_modules/${name}`;
		lock.packages[at] = {
			version: spec,
			...(platform.cpu ? { cpu: platform.cpu } : {}),
			...(parent?.dev ? { dev: true } : {}),
			...(platform.libc ? { libc: platform.libc } : {}),
			optional: true,
			os: platform.os,
		};
		added.push(`${name}@${spec}`);
	}
	// npm keeps the root first and the rest sorted by path.
	const [root, ...rest] = Object.entries(lock.packages);
	const sorted = rest.sort(([a], [b]) => a.localeCompare(b, "en"));
	lock.packages = Object.fromEntries(root ? [root, ...sorted] : sorted);
	return added;
}

if (import.meta.main) {
	execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
		cwd: ROOT,
		stdio: "inherit",
	});
	const text = readFileSync(LOCKFILE, "utf8");
	const lock = JSON.parse(text) as Lockfile;
	const added = completeOptionals(lock);
	if (added.length > 0) {
		const indent = /^(\s+)"/m.exec(text)?.[1] ?? "\t";
		writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, indent)}\n`);
		console.log(`package-lock.json: added what the registry did not serve: ${added.join(", ")}`);
	}
}
