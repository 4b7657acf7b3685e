const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
	if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return null;
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

/**
 * True when `signatureHex` is the HMAC-SHA1 of `body` under `secret` (Vercel's x-vercel-signature).
 * crypto.subtle.verify compares in constant time.
 */
export async function verifyVercelSignature(
	secret: string,
	body: Uint8Array<ArrayBuffer>,
	signatureHex: string,
): Promise<boolean> {
	const signature = hexToBytes(signatureHex.trim());
	if (signature?.length !== 20) return false;
	const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-1" }, false, [
		"verify",
	]);
	return crypto.subtle.verify("HMAC", key, signature, body);
}
