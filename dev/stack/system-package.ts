/**
 * Programs the local stack and its tests need that npm cannot bring: redis-server (no Redis server ships on npm)
 * and, for the browser-beacon test, Chromium. When one is missing it is installed, saying so in one line, if the
 * system's package manager runs without a prompt (root, passwordless sudo, or Homebrew); otherwise, or with
 * DT_NO_AUTO_INSTALL=1, the error names the exact command for this system.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface SystemPackage {
	/** What the messages call it. */
	label: string;
	/** Executable names looked up in the search dirs, in order. */
	binaries: string[];
	/** Absolute paths tried after the search dirs (macOS app bundles). */
	paths?: string[];
	/** An environment variable holding an explicit path, which wins. */
	envVar: string;
	/** Package names (brew: the arguments after `brew install`). */
	apt: string;
	dnf: string;
	brew: string;
}

export const REDIS_SERVER: SystemPackage = {
	label: "redis-server",
	binaries: ["redis-server"],
	envVar: "DT_REDIS_SERVER",
	apt: "redis-server",
	dnf: "redis",
	brew: "redis",
};

export const CHROMIUM: SystemPackage = {
	label: "chromium",
	binaries: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
	paths: [
		"/Applications/Chromium.app/Contents/MacOS/Chromium",
		"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
	],
	envVar: "DT_CHROMIUM",
	apt: "chromium",
	dnf: "chromium",
	brew: "--cask chromium",
};

export function isExecutable(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** Where programs are looked for: the distributions' and Homebrew's bin directories, then PATH. */
export function searchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
	const path = (env.PATH ?? "").split(delimiter).filter(Boolean);
	return [...new Set(["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", ...path])];
}

/** The package's envVar (an explicit path) wins; else the first executable in `dirs`, then in its `paths`. */
export function findProgram(
	pkg: SystemPackage,
	dirs: string[] = searchDirs(),
	env: NodeJS.ProcessEnv = process.env,
	executable: (path: string) => boolean = isExecutable,
): string | undefined {
	const explicit = env[pkg.envVar];
	if (explicit) return explicit;
	const candidates = [...pkg.binaries.flatMap((b) => dirs.map((d) => join(d, b))), ...(pkg.paths ?? [])];
	return candidates.find(executable);
}

export interface System {
	platform: NodeJS.Platform;
	/** Effective uid; undefined where there is none (Windows). */
	uid: number | undefined;
	/** True when `cmd` is an executable in the search dirs. */
	has(cmd: string): boolean;
	/** True when `sudo -n true` succeeds (sudo without a password prompt). */
	sudoWithoutPassword(): Promise<boolean>;
	/** DT_NO_AUTO_INSTALL=1 */
	noAutoInstall: boolean;
}

export type InstallPlan =
	/** Run these commands, in order, after printing `say`. */
	| { kind: "install"; say: string; commands: string[][] }
	/** Do not install; stop with `message`, which names `command` for this system. */
	| { kind: "manual"; command: string; message: string };

interface Manager {
	/** What a person types as root (without sudo). */
	shell: string;
	commands: string[][];
	/** Homebrew refuses root and needs no sudo. */
	asUser: boolean;
}

function packageManager(pkg: SystemPackage, sys: System): Manager | undefined {
	if (sys.platform === "darwin" || (sys.has("brew") && !sys.has("apt-get") && !sys.has("dnf"))) {
		if (!sys.has("brew")) return undefined;
		const args = pkg.brew.split(" ");
		return { shell: `brew install ${pkg.brew}`, commands: [["brew", "install", ...args]], asUser: true };
	}
	if (sys.has("apt-get")) {
		const apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "DPkg::Lock::Timeout=120"];
		return {
			shell: `apt-get update && apt-get install -y ${pkg.apt}`,
			commands: [
				[...apt, "update", "-qq"],
				[...apt, "install", "-y", "-qq", "--no-install-recommends", pkg.apt],
			],
			asUser: false,
		};
	}
	if (sys.has("dnf")) {
		return { shell: `dnf install -y ${pkg.dnf}`, commands: [["dnf", "install", "-y", "-q", pkg.dnf]], asUser: false };
	}
	return undefined;
}

/** Decides whether and how `pkg` gets installed on this system; runs nothing but `sudo -n true`. */
export async function planInstall(pkg: SystemPackage, sys: System): Promise<InstallPlan> {
	const pm = packageManager(pkg, sys);
	const notFound = `${pkg.label} not found (looked in /usr/bin, /usr/local/bin, /opt/homebrew/bin and PATH)`;
	if (!pm) {
		return {
			kind: "manual",
			command: `install ${pkg.label}`,
			message: `${notFound}, and no apt-get, dnf or brew here: install ${pkg.label}, or set ${pkg.envVar} to its path`,
		};
	}
	const root = sys.uid === 0;
	const sudo = pm.asUser || root ? "" : "sudo ";
	const command = pm.shell
		.split(" && ")
		.map((c) => sudo + c)
		.join(" && ");
	const manual = (why: string): InstallPlan => ({
		kind: "manual",
		command,
		message: `${notFound}; ${why}. Install it with: ${command}`,
	});
	if (sys.noAutoInstall) return manual("not installing it because DT_NO_AUTO_INSTALL=1");
	if (pm.asUser && root) return manual("Homebrew does not run as root");
	if (!pm.asUser && !root) {
		if (!sys.has("sudo") || !(await sys.sudoWithoutPassword())) {
			return manual("installing it needs root, and sudo asks for a password");
		}
	}
	return {
		kind: "install",
		say: `${pkg.label} not found: installing it with \`${command}\` (DT_NO_AUTO_INSTALL=1 turns this off)`,
		commands: pm.commands.map((c) => (sudo ? ["sudo", "-n", ...c] : c)),
	};
}

export type Runner = (argv: string[]) => Promise<{ code: number; output: string }>;

/** Runs a command without a terminal, its output kept (shown only when it fails). */
export const runCommand: Runner = (argv) =>
	new Promise((resolve) => {
		const [cmd, ...args] = argv;
		const child = spawn(cmd as string, args, { stdio: ["ignore", "pipe", "pipe"] });
		let output = "";
		const keep = (chunk: Buffer): void => {
			output = (output + chunk.toString()).slice(-8000);
		};
		child.stdout.on("data", keep);
		child.stderr.on("data", keep);
		child.on("error", (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
		child.on("close", (code) => resolve({ code: code ?? 1, output }));
	});

export interface EnsureOptions {
	env?: NodeJS.ProcessEnv;
	dirs?: string[];
	platform?: NodeJS.Platform;
	uid?: number;
	run?: Runner;
	say?: (line: string) => void;
}

// One install per package and process, however many stacks start at once.
const installing = new Map<string, Promise<string>>();

/** The path of the package's program, installing it first when it is missing and that can be done without a prompt. */
export function ensureProgram(pkg: SystemPackage, opts: EnsureOptions = {}): Promise<string> {
	const env = opts.env ?? process.env;
	const dirs = opts.dirs ?? searchDirs(env);
	const found = findProgram(pkg, dirs, env);
	if (found) return Promise.resolve(found);
	const shared = opts.run === undefined;
	const pending = shared ? installing.get(pkg.label) : undefined;
	if (pending) return pending;
	const result = install(pkg, env, dirs, opts);
	if (shared) {
		installing.set(pkg.label, result);
		result.catch(() => installing.delete(pkg.label));
	}
	return result;
}

async function install(pkg: SystemPackage, env: NodeJS.ProcessEnv, dirs: string[], opts: EnsureOptions) {
	const run = opts.run ?? runCommand;
	const plan = await planInstall(pkg, {
		platform: opts.platform ?? process.platform,
		uid: opts.uid ?? process.getuid?.(),
		has: (cmd) => dirs.some((d) => isExecutable(join(d, cmd))),
		sudoWithoutPassword: async () => (await run(["sudo", "-n", "true"])).code === 0,
		noAutoInstall: env.DT_NO_AUTO_INSTALL === "1",
	});
	if (plan.kind === "manual") throw new Error(plan.message);
	(opts.say ?? ((line) => console.log(line)))(plan.say);
	for (const argv of plan.commands) {
		const { code, output } = await run(argv);
		if (code !== 0) {
			throw new Error(`installing ${pkg.label} failed: \`${argv.join(" ")}\` exited with ${code}\n${output.trim()}`);
		}
	}
	const found = findProgram(pkg, dirs, env);
	if (!found) throw new Error(`${pkg.label} still not found after \`${plan.commands.at(-1)?.join(" ")}\``);
	return found;
}
