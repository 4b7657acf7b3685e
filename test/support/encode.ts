// Bodies as senders encode them: gzip (Vercel, OTLP exporters, SDKs that compress) and Vercel's drain signature.

/** The bytes gzip-compressed (one member), as CompressionStream writes them. */
export async function gzip(data: string | Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
	const stream = new Blob([data as Uint8Array<ArrayBuffer> | string])
		.stream()
		.pipeThrough(new CompressionStream("gzip"));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** x-vercel-signature: the hex HMAC-SHA1 of the body with the drain's secret. */
export async function hmacSha1Hex(secret: string, body: Uint8Array | string): Promise<string> {
	const enc = new TextEncoder();
	const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-1" }, false, [
		"sign",
	]);
	const data = typeof body === "string" ? enc.encode(body) : (body as Uint8Array<ArrayBuffer>);
	const sig = await crypto.subtle.sign("HMAC", key, data);
	return [...new Uint8Array(sig)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
