import { sha256Hex } from "../util/hex.ts";

/** `dt_` and 16–128 URL-safe characters; anything else is refused without a lookup. */
export const API_KEY_FORMAT = /^dt_[A-Za-z0-9_-]{16,128}$/;

/** The SHA-256 (64 lowercase hex) of a key: what is stored and looked up, never the plaintext. */
export async function hashApiKey(key: string): Promise<string> {
	return sha256Hex(key);
}

/** The first characters of a key, safe to display and log. */
export function keyPrefix(key: string): string {
	return key.slice(0, 10);
}
