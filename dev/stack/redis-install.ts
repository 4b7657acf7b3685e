/**
 * Finding redis-server for the local stack, and installing it when it is missing. No Redis server ships on npm, so
 * `npm install && npm run dev` (and `npm test`, and CI) would otherwise stop on a fresh machine. The install runs
 * only without a prompt (root, passwordless sudo, or Homebrew); otherwise the error names the exact command.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function isExecutable(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** Where redis-server is looked for: the distributions' and Homebrew's bin directories, then PATH. */
export function searchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
	const path = (env.PATH ?? "").split(delimiter).filter(Boolean);
	return [...new Set(["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", ...path])];
}

/** DT_REDIS_SERVER (an explicit path) wins; else the first executable redis-server in `dirs`. */
export function findRedisServer(
	dirs: string[] = searchDirs(),
	env: NodeJS.ProcessEnv = process.env,
	executable: (path: string) => boolean = isExecutable,
): string | undefined {
	if (env.DT_REDIS_SERVER) return env.DT_REDIS_SERVER;
	return dirs.map((d) => join(d, "redis-server")).find(executable);
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

function packageManager(sys: System): Manager | undefined {
	if (sys.platform === "darwin" || (sys.has("brew") && !sys.has("apt-get") && !sys.has("dnf"))) {
		if (!sys.has("brew")) return undefined;
		return { shell: "brew install redis", commands: [["brew", "install", "redis"]], asUser: true };
	}
	if (sys.has("apt-get")) {
		const apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "DPkg::Lock::Timeout=120"];
		return {
			shell: "apt-get update && apt-get install -y redis-server",
			commands: [
				[...apt, "update", "-qq"],
				[...apt, "install", "-y", "-qq", "--no-install-recommends", "redis-server"],
			],
			asUser: false,
		};
	}
	if (sys.has("dnf")) {
		return { shell: "dnf install -y redis", commands: [["dnf", "install", "-y", "-q", "redis"]], asUser: false };
	}
	return undefined;
}

/** Decides whether and how redis-server gets installed on this system; runs nothing but `sudo -n true`. */
export async function planRedisInstall(sys: System): Promise<InstallPlan> {
	const pm = packageManager(sys);
	const notFound = "redis-server not found (looked in /usr/bin, /usr/local/bin, /opt/homebrew/bin and PATH)";
	if (!pm) {
		const command = "install Redis (https://redis.io/docs/latest/operate/oss_and_stack/install/)";
		return {
			kind: "manual",
			command,
			message: `${notFound}, and no apt-get, dnf or brew here: ${command}, or set DT_REDIS_SERVER to its path`,
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
	const commands = pm.commands.map((c) => (sudo ? ["sudo", "-n", ...c] : c));
	return {
		kind: "install",
		say: `redis-server not found: installing it with \`${command}\` (DT_NO_AUTO_INSTALL=1 turns this off)`,
		commands,
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

let installing: Promise<string> | undefined;

/** The path of redis-server, installing it first when it is missing and that can be done without a prompt. */
export function ensureRedisServer(opts: EnsureOptions = {}): Promise<string> {
	const env = opts.env ?? process.env;
	const dirs = opts.dirs ?? searchDirs(env);
	const found = findRedisServer(dirs, env);
	if (found) return Promise.resolve(found);
	// One install per process, however many stacks start at once.
	if (opts.run === undefined && installing) return installing;
	const result = install(env, dirs, opts);
	if (opts.run === undefined) {
		installing = result;
		result.catch(() => {
			installing = undefined;
		});
	}
	return result;
}

async function install(env: NodeJS.ProcessEnv, dirs: string[], opts: EnsureOptions): Promise<string> {
	const run = opts.run ?? runCommand;
	const has = (cmd: string): boolean => dirs.some((d) => isExecutable(join(d, cmd)));
	const plan = await planRedisInstall({
		platform: opts.platform ?? process.platform,
		uid: opts.uid ?? process.getuid?.(),
		has,
		sudoWithoutPassword: async () => (await run(["sudo", "-n", "true"])).code === 0,
		noAutoInstall: env.DT_NO_AUTO_INSTALL === "1",
	});
	if (plan.kind === "manual") throw new Error(plan.message);
	(opts.say ?? ((line) => console.log(line)))(plan.say);
	for (const argv of plan.commands) {
		const { code, output } = await run(argv);
		if (code !== 0) {
			throw new Error(`installing redis-server failed: \`${argv.join(" ")}\` exited with ${code}\n${output.trim()}`);
		}
	}
	const found = findRedisServer(dirs, env);
	if (!found) throw new Error(`redis-server still not found after \`${plan.commands.at(-1)?.join(" ")}\``);
	return found;
}
