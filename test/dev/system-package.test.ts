import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
	CHROMIUM,
	ensureProgram,
	findProgram,
	planInstall,
	REDIS_SERVER,
	type System,
} from "../../dev/stack/system-package.ts";

// The real redis-server and chromium on this machine is never touched: every lookup here runs on temp dirs of fake executables,
// and the package manager runs through an injected runner.

const system = (over: Partial<System> & { tools?: string[] }): System => ({
	platform: "linux",
	uid: 1000,
	noAutoInstall: false,
	sudoWithoutPassword: async () => false,
	has: (cmd) => (over.tools ?? []).includes(cmd),
	...over,
});

describe("planInstall", () => {
	it("as root with apt-get: apt-get update, then a non-interactive install of redis-server", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ uid: 0, tools: ["apt-get"] }));
		expect(plan.kind).toBe("install");
		if (plan.kind !== "install") return;
		expect(plan.commands.map((c) => c.filter((a) => !a.startsWith("-") && !a.includes("=")))).toEqual([
			["env", "apt-get", "update"],
			["env", "apt-get", "install", "redis-server"],
		]);
		expect(plan.commands[1]).toContain("-y");
		expect(plan.commands[0]).toContain("DEBIAN_FRONTEND=noninteractive");
		expect(plan.say).toBe(
			"redis-server not found: installing it with `apt-get update && apt-get install -y redis-server` (DT_NO_AUTO_INSTALL=1 turns this off)",
		);
	});

	it("without root but with passwordless sudo: the same commands through sudo -n", async () => {
		const plan = await planInstall(
			REDIS_SERVER,
			system({ tools: ["apt-get", "sudo"], sudoWithoutPassword: async () => true }),
		);
		expect(plan.kind === "install" && plan.commands.every((c) => c[0] === "sudo" && c[1] === "-n")).toBe(true);
		expect(plan.kind === "install" && plan.say).toContain(
			"`sudo apt-get update && sudo apt-get install -y redis-server`",
		);
	});

	it("without root and with a sudo that asks for a password: stops with the exact command", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ tools: ["apt-get", "sudo"] }));
		expect(plan).toMatchObject({
			kind: "manual",
			command: "sudo apt-get update && sudo apt-get install -y redis-server",
		});
		const noSudo = await planInstall(
			REDIS_SERVER,
			system({ tools: ["apt-get"], sudoWithoutPassword: async () => true }),
		);
		expect(noSudo.kind).toBe("manual");
	});

	it("dnf: dnf install -y redis", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ uid: 0, tools: ["dnf"] }));
		expect(plan.kind === "install" && plan.commands).toEqual([["dnf", "install", "-y", "-q", "redis"]]);
		const manual = await planInstall(REDIS_SERVER, system({ tools: ["dnf", "sudo"] }));
		expect(manual).toMatchObject({ kind: "manual", command: "sudo dnf install -y redis" });
	});

	it("macOS: brew install redis as the user, never as root and never through sudo", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ platform: "darwin", tools: ["brew", "sudo"] }));
		expect(plan.kind === "install" && plan.commands).toEqual([["brew", "install", "redis"]]);
		const asRoot = await planInstall(REDIS_SERVER, system({ platform: "darwin", uid: 0, tools: ["brew"] }));
		expect(asRoot).toMatchObject({ kind: "manual", command: "brew install redis" });
	});

	it("DT_NO_AUTO_INSTALL=1: never installs, names the command", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ uid: 0, tools: ["apt-get"], noAutoInstall: true }));
		expect(plan.kind).toBe("manual");
		expect(plan.kind === "manual" && plan.message).toContain(
			"DT_NO_AUTO_INSTALL=1. Install it with: apt-get update && apt-get install -y redis-server",
		);
	});

	it("chromium: apt-get install chromium, dnf install chromium, brew install --cask chromium", async () => {
		const apt = await planInstall(CHROMIUM, system({ uid: 0, tools: ["apt-get"] }));
		expect(apt.kind === "install" && apt.commands[1]?.at(-1)).toBe("chromium");
		expect(await planInstall(CHROMIUM, system({ tools: ["dnf", "sudo"] }))).toMatchObject({
			command: "sudo dnf install -y chromium",
		});
		const brew = await planInstall(CHROMIUM, system({ platform: "darwin", tools: ["brew"] }));
		expect(brew.kind === "install" && brew.commands).toEqual([["brew", "install", "--cask", "chromium"]]);
	});

	it("no known package manager: says so and points at DT_REDIS_SERVER", async () => {
		const plan = await planInstall(REDIS_SERVER, system({ uid: 0 }));
		expect(plan.kind === "manual" && plan.message).toMatch(/no apt-get, dnf or brew.*DT_REDIS_SERVER/);
	});
});

/** A runner that records what it was asked to run and answers with `code`. */
const recorder = (code: (argv: string[]) => number) => {
	const ran: string[][] = [];
	const run = async (argv: string[]) => {
		ran.push(argv);
		return { code: code(argv), output: "" };
	};
	return { ran, run };
};

describe("ensureProgram", () => {
	const dirs: string[] = [];
	afterEach(() => {
		for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
	});
	const binDir = (...tools: string[]): string => {
		const dir = mkdtempSync(join(tmpdir(), "dt-redis-install-"));
		dirs.push(dir);
		for (const t of tools) fake(dir, t);
		return dir;
	};
	const fake = (dir: string, name: string): void => {
		writeFileSync(join(dir, name), "#!/bin/sh\nexit 0\n");
		chmodSync(join(dir, name), 0o755);
	};

	it("finds an existing redis-server without running anything", async () => {
		const dir = binDir("redis-server");
		const { ran, run } = recorder(() => 0);
		expect(await ensureProgram(REDIS_SERVER, { env: {}, dirs: [dir], run })).toBe(join(dir, "redis-server"));
		expect(ran).toEqual([]);
		expect(findProgram(REDIS_SERVER, [dir], { DT_REDIS_SERVER: "/opt/redis/bin/redis-server" })).toBe(
			"/opt/redis/bin/redis-server",
		);
	});

	it("missing, as root with apt-get: prints one line, runs update then install, returns the installed binary", async () => {
		const dir = binDir("apt-get");
		const ran: string[][] = [];
		const said: string[] = [];
		const run = async (argv: string[]) => {
			ran.push(argv);
			if (argv.includes("install")) fake(dir, "redis-server"); // what the package manager would do
			return { code: 0, output: "" };
		};
		const bin = await ensureProgram(REDIS_SERVER, { env: {}, dirs: [dir], uid: 0, run, say: (l) => said.push(l) });
		expect(bin).toBe(join(dir, "redis-server"));
		expect(said).toHaveLength(1);
		expect(ran.map((a) => a.find((x) => x === "update" || x === "install"))).toEqual(["update", "install"]);
	});

	it("missing, not root, sudo asks for a password: asks sudo -n true, installs nothing, names the command", async () => {
		const dir = binDir("apt-get", "sudo");
		const { ran, run } = recorder((argv) => (argv[0] === "sudo" ? 1 : 0));
		await expect(ensureProgram(REDIS_SERVER, { env: {}, dirs: [dir], uid: 1000, run, say: () => {} })).rejects.toThrow(
			"Install it with: sudo apt-get update && sudo apt-get install -y redis-server",
		);
		expect(ran).toEqual([["sudo", "-n", "true"]]);
	});

	it("DT_NO_AUTO_INSTALL=1: runs nothing", async () => {
		const dir = binDir("apt-get");
		const { ran, run } = recorder(() => 0);
		await expect(
			ensureProgram(REDIS_SERVER, { env: { DT_NO_AUTO_INSTALL: "1" }, dirs: [dir], uid: 0, run, say: () => {} }),
		).rejects.toThrow("DT_NO_AUTO_INSTALL=1");
		expect(ran).toEqual([]);
	});

	it("a failing package manager: the error carries the command and its output", async () => {
		const dir = binDir("apt-get");
		const run = async (argv: string[]) =>
			argv.includes("install")
				? { code: 100, output: "E: Unable to locate package redis-server" }
				: { code: 0, output: "" };
		await expect(ensureProgram(REDIS_SERVER, { env: {}, dirs: [dir], uid: 0, run, say: () => {} })).rejects.toThrow(
			/exited with 100\nE: Unable to locate package redis-server/,
		);
	});
});
