/**
 * The Redis piece of the local stack: a real redis-server child process plus the Upstash REST adapter in front.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureProgram, isExecutable, REDIS_SERVER } from "./system-package.ts";
import { RedisConnection, startUpstashAdapter, type UpstashAdapter } from "./upstash-adapter.ts";

export interface RedisService {
	restUrl: string;
	restToken: string;
	redisPort: number;
	/** Stops redis-server (the adapter stays up and answers errors meanwhile). */
	stop(): Promise<void>;
	/** Starts redis-server again with the same settings. */
	start(): Promise<void>;
	/** Stops the adapter and redis-server; idempotent. */
	close(): Promise<void>;
}

/**
 * True when INFO comes from the process we spawned and it has finished loading its data. Fields are matched as
 * whole lines: Redis 7's `async_loading:0` contains the text `loading:0`, and matching that substring once called
 * Redis ready while it was still replaying its AOF (clients then got "LOADING Redis is loading the dataset").
 */
export function infoSaysReady(info: string, pid: number | undefined): boolean {
	const fields = new Map<string, string>();
	for (const line of info.split("\r\n")) {
		const colon = line.indexOf(":");
		if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
	}
	return (
		fields.get("process_id") === String(pid) &&
		fields.get("loading") === "0" &&
		(fields.get("async_loading") ?? "0") === "0"
	);
}

/** Resolves once the redis-server we spawned (checked by pid, not just anyone on the port) answers. */
async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`redis-server exited during startup (${child.exitCode ?? child.signalCode})`);
		}
		try {
			const conn = await RedisConnection.open(port, 500);
			try {
				// Bounded: whatever else may hold the port need not answer at all.
				const probe = conn.send([["INFO", "server", "persistence"]]).then(([r]) => r);
				const info = await Promise.race([probe, sleep(1000).then(() => null)]);
				const text = Buffer.isBuffer(info) ? info.toString() : "";
				if (infoSaysReady(text, child.pid)) {
					// INFO answers during the AOF replay while data commands get LOADING: one of those must pass too.
					const [probe] = await conn.send([["EXISTS", "dt:readiness-probe"]]);
					if (!(probe instanceof Error)) return;
				}
			} finally {
				conn.close();
			}
		} catch {
			// not listening yet
		}
		await sleep(50);
	}
	throw new Error(`redis-server did not become ready on 127.0.0.1:${port} within 15 s`);
}

export async function startRedis(opts: {
	dataDir: string;
	redisPort: number;
	httpPort: number;
	token: string;
	persistent: boolean;
}): Promise<RedisService> {
	const bin = await ensureProgram(REDIS_SERVER);
	mkdirSync(opts.dataDir, { recursive: true });
	const args = [
		...["--port", String(opts.redisPort), "--bind", "127.0.0.1", "--dir", opts.dataDir],
		...["--save", "", "--appendonly", opts.persistent ? "yes" : "no"],
		...["--daemonize", "no", "--protected-mode", "no"],
	];
	// setpriv's parent-death signal takes redis-server down even if Node is SIGKILLed; a Ctrl-C reaches
	// it anyway because it stays in our process group.
	const setpriv = process.platform === "linux" && isExecutable("/usr/bin/setpriv");
	const [cmd, argv] = setpriv ? ["/usr/bin/setpriv", ["--pdeathsig", "TERM", "--", bin, ...args]] : [bin, args];

	let child: ChildProcess | undefined;
	let exited: Promise<void> = Promise.resolve();
	let logTail: string[] = [];
	const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
	const onExit = (): void => {
		if (running()) child?.kill("SIGTERM");
	};
	process.on("exit", onExit);

	async function spawnOnce(): Promise<void> {
		logTail = [];
		const c = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
		child = c;
		// 'close' (not 'exit') so the last log lines have arrived by the time it resolves.
		exited = new Promise((resolve) => c.once("close", () => resolve()));
		const keep = (chunk: Buffer): void => {
			logTail = [...logTail, ...chunk.toString().split("\n").filter(Boolean)].slice(-30);
		};
		c.stdout?.on("data", keep);
		c.stderr?.on("data", keep);
		c.on("error", (err) => keep(Buffer.from(String(err))));
		try {
			await waitUntilReady(c, opts.redisPort);
		} catch (err) {
			await stop();
			throw new Error(`${(err as Error).message}\n${logTail.join("\n")}`);
		}
	}

	async function start(): Promise<void> {
		if (running()) return;
		for (let attempt = 1; ; attempt++) {
			try {
				return await spawnOnce();
			} catch (err) {
				// Ports from freePort lie in the ephemeral range, so after a stop() some other socket can
				// briefly hold ours; give it a moment instead of failing the restart.
				if (attempt >= 6 || !logTail.some((l) => l.includes("Address already in use"))) throw err;
				await sleep(500);
			}
		}
	}

	async function stop(): Promise<void> {
		const c = child;
		if (!c) return;
		if (running()) {
			// SIGTERM = graceful SHUTDOWN (the AOF gets flushed); no RDB because of --save "".
			c.kill("SIGTERM");
			const killed = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
			if (killed) c.kill("SIGKILL");
		}
		await exited;
		child = undefined;
	}

	try {
		await start();
	} catch (err) {
		process.off("exit", onExit);
		throw err;
	}
	let adapter: UpstashAdapter;
	try {
		adapter = await startUpstashAdapter({ port: opts.httpPort, token: opts.token, redisPort: opts.redisPort });
	} catch (err) {
		await stop();
		process.off("exit", onExit);
		throw err;
	}

	let closing: Promise<void> | undefined;
	return {
		restUrl: adapter.url,
		restToken: opts.token,
		redisPort: opts.redisPort,
		start,
		stop,
		close() {
			closing ??= (async () => {
				await adapter.close();
				await stop();
				process.off("exit", onExit);
			})();
			return closing;
		},
	};
}
