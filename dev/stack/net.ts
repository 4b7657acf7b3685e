import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (tests use these so they never collide with a dev stack). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createNetServer();
		srv.unref();
		srv.on("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const addr = srv.address();
			srv.close(() => {
				if (addr && typeof addr === "object") resolve(addr.port);
				else reject(new Error("no port"));
			});
		});
	});
}

/** Listens on 127.0.0.1:port and resolves once bound. */
export function listen(server: Server, port: number): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(port, "127.0.0.1", () => {
			server.off("error", reject);
			resolve();
		});
	});
}

/** Closes a server and every connection it still holds (keep-alive sockets would otherwise keep it open). */
export function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => {
		if (!server.listening) return resolve();
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/** Reads a whole request body. */
export async function readBody(req: import("node:http").IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

export { createServer };
