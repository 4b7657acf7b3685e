import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { Config } from "../../src/config.ts";
import { fingerprintError } from "../../src/ingest/fingerprint/index.ts";
import type { SourceMapStore } from "../../src/ports.ts";
import { createServices } from "../../src/services/index.ts";
import fixtures from "./fixtures/sourcemaps.json";
import { call, callApp, createKey, ingest, storedRows, type TestKey } from "./helpers.ts";
import { filler, form, keys, type MapFile, upload } from "./sourcemap-upload.ts";

// What the Next.js SDK does after a build (docs/design/sourcemaps.md): every *.map under distDir, posted
// 20 to a request, `release` first, each file an application/json blob named by its path relative to distDir.
// The fixtures are one small app built twice by esbuild (dev/sourcemap-fixtures.ts).

/** As the SDK does: requests of 20 files, one after another; every one must answer 2xx or the SDK stops. */
async function uploadBuild(key: string, release: string, files: MapFile[]): Promise<number> {
	let count = 0;
	for (let i = 0; i < files.length; i += 20) {
		const res = await upload(key, release, files.slice(i, i + 20));
		expect(res.status).toBe(200);
		const body = (await res.json()) as { ok: boolean; release: string; count: number };
		expect(body).toMatchObject({ ok: true, release });
		count += body.count;
	}
	return count;
}

function reportError(key: string, stack: string, release?: string) {
	return ingest("/ingest/errors", key, {
		error_message: "quantity must be positive for B-2",
		stack_trace: stack,
		severity: "high",
		...(release === undefined ? {} : { release }),
	});
}

async function fingerprintOf(res: Response): Promise<string> {
	expect(res.status).toBe(200);
	return ((await res.json()) as { fingerprint: string }).fingerprint;
}

interface ErrorRow {
	fingerprint: string;
	stack_trace: string;
	resolved_stack_trace: string;
	symbolication: string;
	release: string;
}

const ORIGINAL_FRAMES = [
	/^ {4}at validateQuantity \(.*src\/lib\/cart\.ts:9:9\)$/,
	/^ {4}at totalQuantity \(.*src\/lib\/cart\.ts:16:37\)$/,
	/^ {4}at checkout \(.*src\/page\.ts:4:16\)$/,
	// The outermost frame has no caller with a map to name its function: anonymous, the same in every build.
	/^ {4}at [./]*src\/page\.ts:9:9$/,
];

describe("upload in the SDK's shape", () => {
	it("stores every map of a 25-file build sent as 20 + 5, Windows backslash names normalised", async () => {
		const k = await createKey();
		const files = [
			...fixtures.a.maps,
			...Array.from({ length: 23 }, (_, i) => filler(`static/chunks/${i}-0f3e2d1c.js.map`)),
			filler("server\\app\\api\\route.js.map"), // path.relative on Windows
		];
		expect(await uploadBuild(k.key, "v1.2.3", files)).toBe(25);
		const stored = await keys(`m/${k.projectId}/v1.2.3/`);
		expect(stored).toHaveLength(25);
		expect(stored).toContain(`m/${k.projectId}/v1.2.3/server/app/api/route.js.map`);
		expect(stored).toContain(`m/${k.projectId}/v1.2.3/${fixtures.a.maps[0]?.name}`);
		// The map as uploaded, byte for byte.
		const object = await env.SOURCEMAPS.get(`m/${k.projectId}/v1.2.3/${fixtures.a.maps[0]?.name}`);
		expect(await object?.text()).toBe(fixtures.a.maps[0]?.content);
	});

	it("refuses a file for itself (not a map, a name escaping the folder) and stores the rest with 200", async () => {
		const k = await createKey();
		const res = await upload(k.key, "r1", [
			{ name: "static/chunks/readme.js.map", content: "this is not JSON" },
			{ name: "static/chunks/pkg.js.map", content: JSON.stringify({ name: "a package.json" }) },
			filler("../../other-project/app.js.map"),
			filler("/etc/app.js.map"),
			filler("C:\\build\\app.js.map"),
			filler("static/chunks/app.js"),
			filler("static/chunks/ok.js.map"),
		]);
		expect(res.status).toBe(200);
		const body = (await res.json()) as { count: number; refused: { file: string; reason: string }[] };
		expect(body.count).toBe(1);
		expect(body.refused.map((r) => r.file)).toEqual([
			"static/chunks/readme.js.map",
			"static/chunks/pkg.js.map",
			"../../other-project/app.js.map",
			"/etc/app.js.map",
			"C:\\build\\app.js.map",
			"static/chunks/app.js",
		]);
		expect(await keys(`m/${k.projectId}/`)).toEqual([`m/${k.projectId}/r1/static/chunks/ok.js.map`]);
		expect(await keys("m/other-project")).toEqual([]);
	});

	it("keeps the backslashes Node's FormData sends unescaped on Windows (the multipart parser would drop them)", async () => {
		const k = await createKey();
		const boundary = "----undici";
		const body = [
			`--${boundary}`,
			'Content-Disposition: form-data; name="release"',
			"",
			"win",
			`--${boundary}`,
			'Content-Disposition: form-data; name="files"; filename="static\\chunks\\app\\page-3f2a.js.map"',
			"Content-Type: application/json",
			"",
			filler("x").content,
			`--${boundary}--`,
			"",
		].join("\r\n");
		const res = await call("/ingest/sourcemaps", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": `multipart/form-data; boundary=${boundary}` },
			body,
		});
		expect(await res.json()).toEqual({ ok: true, release: "win", count: 1 });
		expect(await keys(`m/${k.projectId}/`)).toEqual([`m/${k.projectId}/win/static/chunks/app/page-3f2a.js.map`]);
	});

	it("takes a map over the 5 MB limit of the other ingest routes (the route declares its own 50 MB)", async () => {
		const k = await createKey();
		const big = {
			version: 3,
			sources: ["src/big.ts"],
			names: [],
			mappings: "AAAA",
			sourcesContent: ["x".repeat(6 * 1024 * 1024)],
		};
		const res = await upload(k.key, "big", [{ name: "big.js.map", content: JSON.stringify(big) }]);
		expect(await res.json()).toEqual({ ok: true, release: "big", count: 1 });
		expect((await env.SOURCEMAPS.head(`m/${k.projectId}/big/big.js.map`))?.size).toBeGreaterThan(6 * 1024 * 1024);
	});

	it("a release is a key segment of its own: 'a/b' cannot write into release 'a'", async () => {
		const k = await createKey();
		expect((await upload(k.key, "a/b", [filler("x.js.map")])).status).toBe(200);
		expect(await keys(`m/${k.projectId}/a/`)).toEqual([]);
		expect(await keys(`m/${k.projectId}/a%2Fb/`)).toEqual([`m/${k.projectId}/a%2Fb/x.js.map`]);
	});
});

describe("upload: refused requests store nothing", () => {
	let k: TestKey;
	beforeAll(async () => {
		k = await createKey();
	});

	async function nothingStored() {
		expect(await keys(`m/${k.projectId}/`)).toEqual([]);
	}

	it("403 with an Origin (a browser key is public), even for an origin the key allows", async () => {
		const browser = await createKey({ origins: ["https://shop.example"] });
		const res = await upload(browser.key, "r", [filler("a.js.map")], { origin: "https://shop.example" });
		expect(res.status).toBe(403);
		expect(await res.json()).toEqual({ error: "Origin not allowed" });
		expect(await keys(`m/${browser.projectId}/`)).toEqual([]);
	});

	it("401 without a key", async () => {
		const res = await call("/ingest/sourcemaps", { method: "POST", body: form("r", [filler("a.js.map")]) });
		expect(res.status).toBe(401);
	});

	it("415 for a body that is not multipart/form-data", async () => {
		const res = await ingest("/ingest/sourcemaps", k.key, { release: "r", files: [] });
		expect(res.status).toBe(415);
		expect(await res.json()).toEqual({ error: "Unsupported Content-Type: send multipart/form-data" });
		await nothingStored();
	});

	it("400 for a missing, empty or over-long release, no files, files before the release, or broken multipart", async () => {
		const cases: [string, RequestInit][] = [
			["release is required, before the files", { body: form(undefined, [filler("a.js.map")]) }],
			["release is required", { body: form("  ", [filler("a.js.map")]) }],
			["release exceeds 128 characters", { body: form("r".repeat(129), [filler("a.js.map")]) }],
			["no files: send one or more source maps as `files`", { body: form("r", []) }],
		];
		const late = new FormData();
		late.append("files", new Blob([filler("a.js.map").content]), "a.js.map");
		late.append("release", "r");
		cases.push(["release is required, before the files", { body: late }]);
		cases.push([
			"malformed multipart body: it ends inside a part",
			{
				body: '--xyz\r\nContent-Disposition: form-data; name="release"\r\n\r\nr',
				headers: { "content-type": "multipart/form-data; boundary=xyz" },
			},
		]);
		for (const [error, init] of cases) {
			const res = await call("/ingest/sourcemaps", {
				method: "POST",
				...init,
				headers: { authorization: `Bearer ${k.key}`, ...(init.headers as Record<string, string>) },
			});
			expect(res.status, error).toBe(400);
			expect(await res.json()).toEqual({ error });
		}
		await nothingStored();
	});

	it("413 for a declared body over 50 MB, before reading it", async () => {
		const res = await call("/ingest/sourcemaps", {
			method: "POST",
			headers: {
				authorization: `Bearer ${k.key}`,
				"content-type": "multipart/form-data; boundary=xyz",
				"content-length": String(50 * 1024 * 1024 + 1),
			},
			body: new ReadableStream({ start: (c) => c.close() }),
			duplex: "half",
		} as RequestInit);
		expect(res.status).toBe(413);
		expect(await res.json()).toEqual({ error: "Request body exceeds the 50 MB limit" });
	});

	it("413 when the parts stream past 50 MB without a declared length", async () => {
		const boundary = "b0undary";
		const head = `--${boundary}\r\nContent-Disposition: form-data; name="release"\r\n\r\nr\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.js.map"\r\n\r\n`;
		const chunk = new Uint8Array(1024 * 1024).fill(32);
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(c) {
				if (sent === 0) c.enqueue(new TextEncoder().encode(head));
				if (sent++ > 52) c.close();
				else c.enqueue(chunk);
			},
		});
		const res = await call("/ingest/sourcemaps", {
			method: "POST",
			headers: { authorization: `Bearer ${k.key}`, "content-type": `multipart/form-data; boundary=${boundary}` },
			body,
			duplex: "half",
		} as RequestInit);
		expect(res.status).toBe(413);
		await nothingStored();
	});
});

describe("errors resolved against the uploaded maps", () => {
	let k: TestKey;
	let unresolved: string;
	beforeAll(async () => {
		k = await createKey();
		await uploadBuild(k.key, "build-a", fixtures.a.maps);
		await uploadBuild(k.key, "build-b", fixtures.b.maps);
		unresolved = await fingerprintError({
			errorMessage: "quantity must be positive for B-2",
			stackTrace: fixtures.a.stack,
		});
	});

	it("the same thrown error from two builds resolves to the same original frames and fingerprint", async () => {
		const a = await fingerprintOf(await reportError(k.key, fixtures.a.stack, "build-a"));
		const b = await fingerprintOf(await reportError(k.key, fixtures.b.stack, "build-b"));
		expect(a).toBe(b);
		// Unresolved, the builds group by hash-stripped file names alone ("?" for every minified name): resolution
		// is what names the original code, so the fingerprint changes.
		expect(a).not.toBe(unresolved);

		const rows = await storedRows<ErrorRow>("errors", k.projectId);
		expect(rows).toHaveLength(2);
		for (const row of rows) {
			expect(row.fingerprint).toBe(a); // the response's fingerprint is the stored one
			expect(row.symbolication).toBe("resolved");
			expect(row.stack_trace).toBe(row.release === "build-a" ? fixtures.a.stack : fixtures.b.stack); // as sent
			const lines = row.resolved_stack_trace.split("\n");
			expect(lines[0]).toBe("RangeError: quantity must be positive for B-2");
			ORIGINAL_FRAMES.forEach((re, i) => {
				expect(lines[i + 1]).toMatch(re);
			});
		}
	});

	it("a browser frame without a release resolves through the latest upload of its file name", async () => {
		const fingerprint = await fingerprintOf(await reportError(k.key, fixtures.b.stack));
		const withRelease = await fingerprintOf(await reportError(k.key, fixtures.b.stack, "build-b"));
		expect(fingerprint).toBe(withRelease);
	});

	it("an error without maps keeps today's fingerprint and is stored as sent", async () => {
		const other = await createKey();
		const stack = "TypeError: x is undefined\n    at handler (https://shop.example/assets/app-3f2a1b9c.js:1:200)";
		const res = await reportError(other.key, stack, "build-a");
		expect(await fingerprintOf(res)).toBe(
			await fingerprintError({ errorMessage: "quantity must be positive for B-2", stackTrace: stack }),
		);
		const [row] = await storedRows<ErrorRow>("errors", other.projectId);
		expect(row).toMatchObject({ symbolication: "none", resolved_stack_trace: "", stack_trace: stack });
	});

	it("when the map store fails: the unresolved fingerprint, the row marked 'failed', nothing lost", async () => {
		const failing: SourceMapStore = {
			markProject: () => Promise.reject(new Error("R2 down")),
			hasMaps: () => Promise.reject(new Error("R2 down")),
			putMap: () => Promise.reject(new Error("R2 down")),
			publishIndex: () => Promise.reject(new Error("R2 down")),
			deleteRelease: () => Promise.reject(new Error("R2 down")),
			releaseFiles: () => Promise.reject(new Error("R2 down")),
			latestRelease: () => Promise.reject(new Error("R2 down")),
			index: () => Promise.reject(new Error("R2 down")),
		};
		const app = createApp({ createServices: (config: Config) => ({ ...createServices(config), sourceMaps: failing }) });
		const send = async (path: string, init: RequestInit) => {
			const res = await callApp(app, path, init);
			return res;
		};
		const fresh = await createKey();
		const res = await send("/ingest/errors", {
			method: "POST",
			headers: { authorization: `Bearer ${fresh.key}`, "content-type": "application/json" },
			body: JSON.stringify({
				error_message: "quantity must be positive for B-2",
				stack_trace: fixtures.a.stack,
				severity: "high",
			}),
		});
		expect(await fingerprintOf(res)).toBe(unresolved);
		const [row] = await storedRows<ErrorRow>("errors", fresh.projectId);
		expect(row).toMatchObject({ fingerprint: unresolved, symbolication: "failed", resolved_stack_trace: "" });

		const up = await send("/ingest/sourcemaps", {
			method: "POST",
			headers: { authorization: `Bearer ${fresh.key}` },
			body: form("r", [filler("a.js.map")]),
		});
		expect(up.status).toBe(503);
		expect(up.headers.get("retry-after")).toBe("5");
		const del = await send("/ingest/sourcemaps/r", {
			method: "DELETE",
			headers: { authorization: `Bearer ${fresh.key}` },
		});
		expect(del.status).toBe(503);
	});

	it("when the map store does not answer: the same, after the 1.5 s budget", async () => {
		const never = () => new Promise<never>(() => undefined);
		const hanging: SourceMapStore = {
			markProject: never,
			hasMaps: never,
			putMap: never,
			publishIndex: never,
			deleteRelease: never,
			releaseFiles: never,
			latestRelease: never,
			index: never,
		};
		const app = createApp({ createServices: (config: Config) => ({ ...createServices(config), sourceMaps: hanging }) });
		const fresh = await createKey();
		const started = Date.now();
		const res = await callApp(app, "/ingest/errors", {
			method: "POST",
			headers: { authorization: `Bearer ${fresh.key}`, "content-type": "application/json" },
			body: JSON.stringify({ error_message: "quantity must be positive for B-2", stack_trace: fixtures.b.stack }),
		});
		expect(Date.now() - started).toBeLessThan(5000);
		expect(await fingerprintOf(res)).toBe(
			await fingerprintError({ errorMessage: "quantity must be positive for B-2", stackTrace: fixtures.b.stack }),
		);
		const [row] = await storedRows<ErrorRow>("errors", fresh.projectId);
		expect(row?.symbolication).toBe("failed");
	});
});

describe("one project can never use, replace or delete another's maps", () => {
	let owner: TestKey;
	let other: TestKey;
	const mapName = fixtures.a.maps[0]?.name as string;
	beforeAll(async () => {
		owner = await createKey();
		other = await createKey();
		await uploadBuild(owner.key, "shared-name", fixtures.a.maps);
	});

	it("another project's errors do not resolve against them, with or without the release", async () => {
		for (const release of ["shared-name", undefined]) {
			await fingerprintOf(await reportError(other.key, fixtures.a.stack, release));
		}
		const rows = await storedRows<ErrorRow>("errors", other.projectId);
		expect(rows.map((r) => r.symbolication)).toEqual(["none", "none"]);
	});

	it("an upload under the same release and file name lands in the uploader's project only", async () => {
		expect((await upload(other.key, "shared-name", [filler(mapName)])).status).toBe(200);
		const mine = await env.SOURCEMAPS.get(`m/${owner.projectId}/shared-name/${mapName}`);
		expect(await mine?.text()).toBe(fixtures.a.maps[0]?.content);
		const [row] = await Promise.all([reportError(owner.key, fixtures.a.stack, "shared-name")]);
		expect(row.status).toBe(200);
		const rows = await storedRows<ErrorRow>("errors", owner.projectId);
		expect(rows.at(-1)?.symbolication).toBe("resolved");
	});

	it("DELETE removes the release of the key's project only, and is idempotent", async () => {
		const del = (key: string) =>
			call("/ingest/sourcemaps/shared-name", { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
		const res = await del(other.key);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true });
		expect(await keys(`m/${other.projectId}/`)).toEqual([]);
		expect(await keys(`m/${owner.projectId}/shared-name/`)).toHaveLength(fixtures.a.maps.length);

		expect((await del(owner.key)).status).toBe(200);
		expect(await keys(`m/${owner.projectId}/`)).toEqual([]);
		expect(await keys(`i/${owner.projectId}/`)).toEqual([]);
		expect(await keys(`u/${owner.projectId}/`)).toEqual([]);
		expect((await del(owner.key)).status).toBe(200); // again: nothing left, still 200
		// And the maps no longer resolve, with or without the release.
		await fingerprintOf(await reportError(owner.key, fixtures.a.stack));
		const rows = await storedRows<ErrorRow>("errors", owner.projectId);
		expect(rows.at(-1)?.symbolication).toBe("none");
	});

	it("DELETE with an Origin is refused", async () => {
		const res = await call("/ingest/sourcemaps/shared-name", {
			method: "DELETE",
			headers: { authorization: `Bearer ${owner.key}`, origin: "https://shop.example" },
		});
		expect(res.status).toBe(403);
	});
});
