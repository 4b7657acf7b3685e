/** `dt_` and 16–128 URL-safe characters; anything else is refused without a lookup. */
export const API_KEY_FORMAT = /^dt_[A-Za-z0-9_-]{16,128}$/;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: ArrayBuffer): string {
	const view = new Uint8Array(bytes);
	let out = "";
	for (let i = 0; i < view.length; i++) out += HEX[view[i] as number];
	return out;
}

/** The SHA-256 (64 lowercase hex) of a key: what is stored and looked up, never the plaintext. */
export async function hashApiKey(key: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
}

/** The first characters of a key, safe to display and log. */
export function keyPrefix(key: string): string {
	return key.slice(0, 10);
}
