import { describe, expect, it } from "vitest";
import { errorType, fingerprintError, fingerprintKey, parseStack } from "../../src/ingest/fingerprint/index.ts";
import * as S from "./fixtures/stacks.ts";

type Input = { errorMessage: string; stackTrace: string };
const err = (stackTrace: string, errorMessage = "boom"): Input => ({ errorMessage, stackTrace });

// ---- (a) the same error from the same code path must group ------------------------------------------

const SAME: [string, Input, Input][] = [
	["node: /app vs /var/task, lines moved", err(S.NODE_APP), err(S.NODE_LAMBDA)],
	["node: /app vs /home/ci/build with pnpm layout", err(S.NODE_APP), err(S.NODE_CI)],
	["node: /app vs a Windows checkout", err(S.NODE_APP), err(S.NODE_WINDOWS)],
	["node: library-only stack from two hosts", err(S.NODE_LIB_ONLY), err(S.NODE_LIB_ONLY_OTHER_HOST)],
	["chrome: cdn1 vs cdn2 with a new Vite hash", err(S.CHROME_VITE_CDN1), err(S.CHROME_VITE_CDN2)],
	["chrome: cdn vs localhost:3000 with a query string", err(S.CHROME_VITE_CDN1), err(S.CHROME_VITE_LOCAL)],
	["chrome: CRA rebuild renames minified functions", err(S.CHROME_CRA_OLD), err(S.CHROME_CRA_NEW)],
	["chrome: Next.js page chunk hash changed", err(S.CHROME_NEXT_OLD), err(S.CHROME_NEXT_NEW)],
	[
		"firefox: new deploy of the same code",
		err(S.FIREFOX, "x is undefined"),
		err(S.FIREFOX_NEW_DEPLOY, "x is undefined"),
	],
	[
		"deno: /app vs a macOS checkout",
		err(S.DENO),
		err(S.DENO.replaceAll("file:///app/", "file:///Users/dev/code/shop/").replace(":27:11", ":29:3")),
	],
	["bun: /home/bun/app vs /app", err(S.BUN), err(S.BUN.replaceAll("/home/bun/app/", "/app/"))],
	[
		"workers: message ids and lines differ, frames do not",
		err(S.WORKERS, "D1_ERROR: no such table: sessions"),
		err(
			S.WORKERS.replace(":1042:19", ":1051:19").replace(":2210:16", ":2230:16"),
			"D1_ERROR: no such table: sessions_2",
		),
	],
	["python: /app vs a release directory, other ids", err(S.PYTHON_CHAINED), err(S.PYTHON_CHAINED_RELEASE)],
	[
		"python: different KeyError key, same frames",
		err(S.PYTHON_KEYERROR),
		err(S.PYTHON_KEYERROR.replace("'enterprise-2024'", "'team'")),
	],
	["go: CI vs container, other goroutines and addresses", err(S.GO_NIL), err(S.GO_NIL_CONTAINER)],
	["java: plain vs logback with packaging data", err(S.JAVA), err(S.JAVA_LOGBACK)],
	["ruby: /app vs a Capistrano release", err(S.RUBY), err(S.RUBY_CAPISTRANO)],
	["stack-less: different user id", err("", "User 42 not found"), err("", "User 1337 not found")],
	[
		"stack-less: different UUID",
		err("", "Order 550e8400-e29b-41d4-a716-446655440000 is locked"),
		err("", "Order 9b2f4c1e-77aa-4b0e-8d3c-0123456789ab is locked"),
	],
	["stack-less: different hex id", err("", "Session 5f3a9c2b1d expired"), err("", "Session 0e1d2c3b4a9f expired")],
	[
		"stack-less: different email and URL",
		err("", "Webhook https://hooks.example.com/t/17 failed for ann@example.com"),
		err("", "Webhook https://hooks.example.org/t/9 failed for bob.smith@example.co.uk"),
	],
	[
		"garbage stack falls back to the masked message",
		err("no frames here\n???", "Timeout after 3000 ms"),
		err("", "Timeout after 5000 ms"),
	],
	[
		"message with or without the type prefix",
		err("", "TypeError: bad id 17"),
		err("TypeError: bad id 99", "bad id 99"),
	],
];

// ---- (b) different code paths must not group --------------------------------------------------------

const DIFFERENT: [string, Input, Input][] = [
	["node: different function", err(S.NODE_APP), err(S.NODE_OTHER_FN)],
	["node: same function in a different file", err(S.NODE_APP), err(S.NODE_OTHER_FILE)],
	["node: different error type", err(S.NODE_APP), err(S.NODE_OTHER_TYPE)],
	["node: same functions in another order", err(S.NODE_APP), err(S.NODE_OTHER_ORDER)],
	[
		"chrome: different bundle",
		err(S.CHROME_CRA_OLD),
		err(S.CHROME_CRA_OLD.replaceAll("/static/js/main.", "/static/js/admin.")),
	],
	["firefox: different function", err(S.FIREFOX), err(S.FIREFOX_OTHER_FN)],
	["python: KeyError vs ValueError on the same line", err(S.PYTHON_KEYERROR), err(S.PYTHON_VALUEERROR)],
	["go: nil dereference vs index out of range", err(S.GO_NIL), err(S.GO_INDEX)],
	["java: same wrapper, different root cause", err(S.JAVA), err(S.JAVA_OTHER_CAUSE)],
	["ruby: different controller action", err(S.RUBY), err(S.RUBY_OTHER_METHOD)],
	["stack-less: different wording", err("", "User 42 not found"), err("", "Team 42 not found")],
	["stack-less: different type", err("", "TypeError: bad id 17"), err("", "RangeError: bad id 17")],
	[
		"frames vs stack-less with the same type",
		err(S.NODE_APP),
		err("", "TypeError: Cannot read properties of undefined (reading 'email')"),
	],
	[
		"library-only stacks from different libraries",
		err(S.NODE_LIB_ONLY),
		err(S.NODE_LIB_ONLY.replace("/pg/lib/client.js", "/mysql2/lib/connection.js")),
	],
];

describe("fingerprint groups the same code path", () => {
	it.each(SAME)("%s", async (_name, a, b) => {
		expect(a).not.toEqual(b); // the pair really differs in something that must not matter
		expect(await fingerprintError(a)).toBe(await fingerprintError(b));
	});
});

describe("fingerprint separates different code paths", () => {
	it.each(DIFFERENT)("%s", async (_name, a, b) => {
		expect(await fingerprintError(a)).not.toBe(await fingerprintError(b));
	});
});

// ---- (c) parsing per format --------------------------------------------------------------------------

type Frame = [fn: string, file: string, inApp: boolean];
const PARSE: { name: string; stack: string; message?: string; type: string; frames: Frame[] }[] = [
	{
		name: "V8 Node (async, Array.map, Promise.all, node:internal)",
		stack: S.NODE_APP,
		type: "TypeError",
		frames: [
			["formatUser", "src/users/format.ts", true],
			["Array.map", "", false],
			["UserService.listUsers", "src/users/service.ts", true],
			["handler", "src/routes/users.ts", true],
			["dispatch", "hono/dist/compose.js", false],
			["Promise.all", "", false],
			["process.processTicksAndRejections", "node:internal/process/task_queues", false],
		],
	},
	{
		name: "V8 Node (new, Object.<anonymous>, [as alias], bare location)",
		stack: S.NODE_STARTUP,
		type: "Error",
		frames: [
			["Database", "db/client.js", true],
			["?", "dist/index.js", true],
			["Module._compile", "node:internal/modules/cjs/loader", false],
			[".js", "node:internal/modules/cjs/loader", false],
			["Module.load", "node:internal/modules/cjs/loader", false],
			["Function._load", "node:internal/modules/cjs/loader", false],
			["TracingChannel.traceSync", "node:diagnostics_channel", false],
			["wrapModuleLoad", "node:internal/modules/cjs/loader", false],
			["Function.executeUserEntryPoint", "node:internal/modules/run_main", false],
			["?", "node:internal/main/run_main_module", false],
		],
	},
	{
		name: "V8 Node error code in brackets",
		stack: S.NODE_HEADERS_SENT,
		type: "Error [ERR_HTTP_HEADERS_SENT]",
		frames: [
			["ServerResponse.setHeader", "node:_http_outgoing", false],
			["ServerResponse.header", "express/lib/response.js", false],
			["ServerResponse.json", "express/lib/response.js", false],
			["sendProfile", "src/profile.js", true],
			["Layer.handle", "express/lib/router/layer.js", false],
		],
	},
	{
		name: "Chrome with host, bundle hash and query",
		stack: S.CHROME_VITE_LOCAL,
		type: "TypeError",
		frames: [
			["initCheckout", "assets/index.js", true],
			["HTMLDocument.<anonymous>", "assets/index.js", true],
		],
	},
	{
		name: "Chrome minified CRA bundle",
		stack: S.CHROME_CRA_OLD,
		type: "TypeError",
		frames: [
			["Xt", "js/main.js", true],
			["ya", "js/main.js", true],
			["Ls", "js/main.js", true],
			["Ku", "js/main.js", true],
		],
	},
	{
		name: "Firefox (fn/<, async*, no message line)",
		stack: S.FIREFOX,
		message: 'can\'t access property "id", user is undefined',
		type: "Error",
		frames: [
			["handleSubmit", "pages/checkout.js", true],
			["onClick", "pages/checkout.js", true],
			["submitOrder", "pages/checkout.js", true],
			["callCallback", "chunks/framework.js", true],
		],
	},
	{
		name: "Safari ([native code], global code)",
		stack: S.SAFARI,
		message: "TypeError: undefined is not an object (evaluating 'cart.items')",
		type: "TypeError",
		frames: [
			["handleSubmit", "pages/checkout.js", true],
			["dispatchEvent", "", false],
			["?", "checkout", true],
		],
	},
	{
		name: "Deno (file:// URLs, ext: internals)",
		stack: S.DENO,
		type: "Error",
		frames: [
			["saveSession", "src/session.ts", true],
			["handler", "src/main.ts", true],
			["?", "ext:deno_http/00_serve.ts", false],
		],
	},
	{
		name: "Bun (<anonymous>, native)",
		stack: S.BUN,
		type: "TypeError",
		frames: [
			["renderProfile", "src/profile.tsx", true],
			["?", "src/server.ts", true],
			["processTicksAndRejections", "", false],
		],
	},
	{
		name: "Cloudflare Workers (cloudflare-internal, Object.fetch)",
		stack: S.WORKERS,
		type: "Error",
		frames: [
			["D1Database._sendOrThrow", "cloudflare-internal:d1-api", false],
			["D1PreparedStatement.first", "cloudflare-internal:d1-api", false],
			["loadSession", "index.js", true],
			["fetch", "index.js", true],
		],
	},
	{
		name: "Python chained traceback (During handling…)",
		stack: S.PYTHON_CHAINED,
		type: "orders.exceptions.PaymentFailed",
		frames: [
			["charge", "orders/services.py", true],
			["create", "stripe/_charge.py", false],
			["request", "stripe/_api_requestor.py", false],
			["checkout", "orders/views.py", true],
			["charge", "orders/services.py", true],
		],
	},
	{
		name: "Python Django traceback with carets",
		stack: S.PYTHON_DJANGO,
		type: "shop.models.Product.DoesNotExist",
		frames: [
			["inner", "django/core/handlers/exception.py", false],
			["_get_response", "django/core/handlers/base.py", false],
			["product_detail", "shop/views.py", true],
			["manager_method", "django/db/models/manager.py", false],
			["get", "django/db/models/query.py", false],
		],
	},
	{
		name: "Go panic with goroutine dump (first goroutine only)",
		stack: S.GO_NIL,
		type: "panic: runtime error: invalid memory address or nil pointer dereference",
		frames: [
			["github.com/acme/shop/internal/orders.(*Service).Total", "internal/orders/service.go", true],
			["github.com/acme/shop/internal/api.(*Handler).getOrder", "internal/api/orders.go", true],
			["net/http.HandlerFunc.ServeHTTP", "src/net/http/server.go", false],
			["net/http.serverHandler.ServeHTTP", "src/net/http/server.go", false],
			["net/http.(*conn).serve", "src/net/http/server.go", false],
			["net/http.(*Server).Serve", "src/net/http/server.go", false],
		],
	},
	{
		name: "Go index panic type is masked",
		stack: S.GO_INDEX,
		type: "panic: runtime error: index out of range [<n>] with length <n>",
		frames: [
			["github.com/acme/shop/internal/orders.(*Service).Total", "internal/orders/service.go", true],
			["github.com/acme/shop/internal/api.(*Handler).getOrder", "internal/api/orders.go", true],
			["net/http.HandlerFunc.ServeHTTP", "src/net/http/server.go", false],
			["net/http.serverHandler.ServeHTTP", "src/net/http/server.go", false],
			["net/http.(*conn).serve", "src/net/http/server.go", false],
			["net/http.(*Server).Serve", "src/net/http/server.go", false],
		],
	},
	{
		name: "Java with Caused by and … more (top exception is the type)",
		stack: S.JAVA,
		type: "java.lang.IllegalStateException",
		frames: [
			["com.acme.shop.orders.OrderService.process", "OrderService.java", true],
			["com.acme.shop.orders.OrderController.create", "OrderController.java", true],
			["jdk.internal.reflect.DirectMethodHandleAccessor.invoke", "DirectMethodHandleAccessor.java", false],
			["java.lang.reflect.Method.invoke", "Method.java", false],
			["org.springframework.web.method.support.InvocableHandlerMethod.doInvoke", "InvocableHandlerMethod.java", false],
			["org.springframework.web.servlet.DispatcherServlet.doDispatch", "DispatcherServlet.java", false],
			["java.lang.Thread.run", "Thread.java", false],
			["com.acme.shop.orders.ShippingCalculator.quote", "ShippingCalculator.java", true],
			["com.acme.shop.orders.OrderService.process", "OrderService.java", true],
		],
	},
	{
		name: "Java module prefixes and lambdas",
		stack: S.JAVA_LAMBDA,
		type: "java.lang.NumberFormatException",
		frames: [
			["java.lang.NumberFormatException.forInputString", "NumberFormatException.java", false],
			["java.lang.Integer.parseInt", "Integer.java", false],
			["com.acme.shop.cart.CartParser.lambda$parse", "CartParser.java", true],
			["java.util.stream.ReferencePipeline$3$1.accept", "ReferencePipeline.java", false],
			["com.acme.shop.cart.CartParser$$Lambda.apply", "", false],
			["com.acme.shop.cart.CartParser.parse", "CartParser.java", true],
		],
	},
	{
		name: "Ruby uncaught (message on the first frame, gems)",
		stack: S.RUBY,
		type: "NoMethodError",
		frames: [
			["User#display_name", "app/models/user.rb", true],
			["UsersController#show", "app/controllers/users_controller.rb", true],
			[
				"ActionController::BasicImplicitRender#send_action",
				"actionpack/lib/action_controller/metal/basic_implicit_render.rb",
				false,
			],
			["AbstractController::Base#process_action", "actionpack/lib/abstract_controller/base.rb", false],
		],
	},
	{
		name: "Ruby logger style with backtick quotes",
		stack: S.RUBY_LOGGER,
		type: "NoMethodError",
		frames: [
			["display_name", "app/models/user.rb", true],
			["show", "app/controllers/users_controller.rb", true],
			["send_action", "actionpack/lib/action_controller/metal/basic_implicit_render.rb", false],
		],
	},
];

describe("parses each stack format", () => {
	it.each(PARSE)("$name", ({ stack, message, type, frames }) => {
		expect(errorType(message ?? "", stack)).toBe(type);
		expect(parseStack(stack).map((f): Frame => [f.fn, f.file, f.inApp])).toEqual(frames);
	});
});

// Each line goes to the first parser (src/ingest/fingerprint/parsers/) that claims it, in the order of
// frames.ts; these pin what that order decides in stacks that mix formats.
const ORDER: { name: string; stack: string; frames: Frame[] }[] = [
	{ name: "an 'at' line V8 cannot read is not retried as Ruby", stack: "Error: x\n    at x.rb:1:in 'y'", frames: [] },
	{
		name: "the JVM reads its 'at' lines before V8",
		stack:
			"java.lang.IllegalStateException: x\n\tat com.acme.Foo.bar(Foo.java:42)\n\tat java.base/java.lang.Thread.run(Thread.java:840)",
		frames: [
			["com.acme.Foo.bar", "Foo.java", true],
			["java.lang.Thread.run", "Thread.java", false],
		],
	},
	{
		name: "a Python frame inside a JS stack is read, and the line after it skipped as its source",
		stack:
			'Error: x\n    at f (/app/src/a.js:1:2)\n  File "/app/src/b.py", line 3, in g\n    goroutine 1 [running]:\n    at h (/app/src/c.js:1:2)',
		frames: [
			["f", "src/a.js", true],
			["g", "src/b.py", true],
			["h", "src/c.js", true],
		],
	},
	{
		name: "Go reads from the first goroutine header, to the next",
		stack:
			"panic: boom\n\nat f (/app/src/a.js:1:2)\ngoroutine 1 [running]:\nmain.handler(0x1)\n\t/app/cmd/api/main.go:12 +0x1d\n\ngoroutine 2 [chan receive]:\nmain.worker()\n\t/app/cmd/api/worker.go:30 +0x2",
		frames: [
			["f", "src/a.js", true],
			["main.handler", "cmd/api/main.go", true],
		],
	},
];

describe("offers each line to the parsers in order", () => {
	it.each(ORDER)("$name", ({ stack, frames }) => {
		expect(parseStack(stack).map((f): Frame => [f.fn, f.file, f.inApp])).toEqual(frames);
	});
});

// ---- format, fallbacks, bounds ----------------------------------------------------------------------

async function sha256Hex(s: string): Promise<string> {
	const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
	return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("fingerprint output", () => {
	it("is 64 lowercase hex, the SHA-256 of the documented key", async () => {
		const input = err(S.NODE_APP);
		const fp = await fingerprintError(input);
		expect(fp).toMatch(/^[0-9a-f]{64}$/);
		expect(fp).toBe(await sha256Hex(fingerprintKey(input)));
	});

	it("hashes `type\\nfn|file…` for the API reference example", () => {
		const stackTrace =
			"TypeError: Cannot read properties of undefined\n at getUser (/app/src/users.ts:42:15)\n at handler (/app/src/api/route.ts:10:3)";
		const key = fingerprintKey({ errorMessage: "Cannot read properties of undefined (reading 'id')", stackTrace });
		expect(key).toBe("TypeError\ngetUser|src/users.ts\nhandler|src/api/route.ts");
	});

	it("uses in-app frames only when there are any", () => {
		expect(fingerprintKey(err(S.PYTHON_DJANGO))).toBe("shop.models.Product.DoesNotExist\nproduct_detail|shop/views.py");
		expect(fingerprintKey(err(S.NODE_LIB_ONLY))).toBe(
			"Error\nTCPConnectWrap.afterConnect|node:net\nClient._handleErrorEvent|pg/lib/client.js",
		);
	});

	it("drops names when every in-app frame is minified", () => {
		expect(fingerprintKey(err(S.CHROME_CRA_OLD))).toBe(
			"TypeError\n?|js/main.js\n?|js/main.js\n?|js/main.js\n?|js/main.js",
		);
		expect(fingerprintKey(err(S.CHROME_NEXT_OLD))).toContain("\nak|chunks/framework.js"); // named frames present: kept
	});

	it("is deterministic, and the isolate's memo answers a repeat without recomputing it", async () => {
		const input = err(S.GO_NIL_CONTAINER, "runtime error");
		const first = await fingerprintError(input);
		expect(first).toBe(await sha256Hex(fingerprintKey(input)));
		for (let i = 0; i < 5; i++) {
			const again = fingerprintError({ ...input });
			expect(typeof again).toBe("string"); // from the memo: no parsing, no digest
			expect(again).toBe(first);
		}
	});

	it("memo: the same stack with another message is its own entry", async () => {
		const stack = "at main (/app/src/index.js:1:1)";
		const a = await fingerprintError(err(stack, "TypeError: boom"));
		const b = await fingerprintError(err(stack, "RangeError: boom"));
		expect(a).toBe(await sha256Hex(fingerprintKey(err(stack, "TypeError: boom"))));
		expect(b).toBe(await sha256Hex(fingerprintKey(err(stack, "RangeError: boom"))));
		expect(fingerprintError(err(stack, "TypeError: boom"))).toBe(a);
		expect(fingerprintError(err(stack, "RangeError: boom"))).toBe(b);
		expect(a).not.toBe(b);
	});

	it("falls back to the type and the masked message for empty or garbage stacks", () => {
		const message =
			"Payment 550e8400-e29b-41d4-a716-446655440000 for ann@example.com failed after 3 tries (ref 0x7ffe12, tx 5f3a9c2b1d)";
		const expected = "Error\n\nPayment <uuid> for <email> failed after <n> tries (ref <hex>, tx <hex>)";
		expect(fingerprintKey(err("", message))).toBe(expected);
		expect(fingerprintKey(err("%%%% not a stack\n\t@@@\n at least three items", message))).toBe(expected);
		expect(fingerprintKey(err("ValidationError: field 12 invalid", ""))).toBe("ValidationError\n\nfield <n> invalid");
	});

	it("takes the type from the stack, then the message prefix, else Error", () => {
		expect(errorType("whatever", "RangeError: Maximum call stack size exceeded\n    at f (/app/src/a.ts:1:1)")).toBe(
			"RangeError",
		);
		expect(errorType("AbortError: The user aborted a request.", "")).toBe("AbortError");
		expect(errorType("", "Uncaught (in promise) AbortError: aborted")).toBe("AbortError");
		expect(errorType("something broke", "")).toBe("Error");
		expect(errorType("", "panic: user 42 has no cart\n\ngoroutine 1 [running]:")).toBe("panic");
		expect(errorType("", 'Exception in thread "worker-3" java.util.ConcurrentModificationException')).toBe(
			"java.util.ConcurrentModificationException",
		);
	});

	it("keeps only the innermost 20 in-app frames", () => {
		const deep = ["RangeError: Maximum call stack size exceeded"];
		for (let i = 0; i < 5000; i++) deep.push(`    at walk${i} (/app/src/tree.ts:${i + 1}:3)`);
		const key = fingerprintKey(err(deep.join("\n")));
		const lines = key.split("\n");
		expect(lines).toHaveLength(21);
		expect(lines[1]).toBe("walk0|src/tree.ts");
		expect(lines[20]).toBe("walk19|src/tree.ts");
		// Python prints the innermost frame last; its last frames are kept.
		const py = ["Traceback (most recent call last):"];
		for (let i = 0; i < 300; i++) py.push(`  File "/app/pkg/mod.py", line ${i + 1}, in f${i}`, `    f${i + 1}()`);
		py.push("RecursionError: maximum recursion depth exceeded");
		const pyLines = fingerprintKey(err(py.join("\n"))).split("\n");
		expect(pyLines[0]).toBe("RecursionError");
		expect(pyLines).toHaveLength(21);
		expect(pyLines[20]).toBe("f299|pkg/mod.py");
	});
});

const FORTY_FRAMES = [
	"TypeError: Cannot read properties of undefined (reading 'id')",
	...Array.from({ length: 40 }, (_, i) =>
		i % 3 === 0
			? `    at async Layer${i}.handle (/app/node_modules/framework/dist/layer.js:${i + 10}:7)`
			: `    at Service${i}.method${i} (/app/src/modules/mod${i}/service.ts:${i + 20}:15)`,
	),
].join("\n");

describe("bounded cost", () => {
	it("handles huge and hostile stacks", async () => {
		const hostile = [
			"x".repeat(100_000),
			`at ${"a.".repeat(50_000)}(`,
			`${"(".repeat(50_000)}${")".repeat(50_000)}`,
			"at (".repeat(30_000),
			`File "${"\\".repeat(100_000)}`,
			`${"a@".repeat(50_000)}:1`,
			`${"1:".repeat(50_000)}in '`,
			`panic: ${"0x".repeat(50_000)}\n\ngoroutine 1 [running]:\n${"f(\n\t/a.go:1 +0x1\n".repeat(20_000)}`,
			`${"    at f (/app/src/a.ts:1:1)\n".repeat(200_000)}`, // ~5 MB, the body limit
		];
		// Cost is measured in `npm run bench`; here: every hostile input completes with a valid fingerprint.
		for (const stack of hostile) {
			const fp = await fingerprintError(err(stack, stack.slice(0, 100_000)));
			expect(fp).toMatch(/^[0-9a-f]{64}$/);
		}
	});

	it("keeps at most 20 frames of a 40-frame stack", () => {
		expect(fingerprintKey(err(FORTY_FRAMES)).split("\n")).toHaveLength(1 + 20);
	});
});
