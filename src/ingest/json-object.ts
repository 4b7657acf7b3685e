import { z } from "zod";
import { LIMITS } from "./limits.ts";

/** Depth of a JSON value, giving up (returning limit + 1) as soon as the limit is passed. */
function depthExceeds(value: unknown, limit: number, depth = 1): boolean {
	if (depth > limit) return true;
	if (value === null || typeof value !== "object") return false;
	if (Array.isArray(value)) {
		for (const item of value) if (depthExceeds(item, limit, depth + 1)) return true;
		return false;
	}
	for (const key in value) {
		if (depthExceeds((value as Record<string, unknown>)[key], limit, depth + 1)) return true;
	}
	return false;
}

/**
 * An arbitrary key-value object (metadata, context), bounded in depth and size; output is its JSON text,
 * which is what the row stores.
 */
export const jsonObject = z.record(z.string(), z.unknown()).transform((value, ctx) => {
	if (depthExceeds(value, LIMITS.objectDepth)) {
		ctx.addIssue({ code: "custom", message: `Object must be nested at most ${LIMITS.objectDepth} levels deep` });
		return z.NEVER;
	}
	const text = JSON.stringify(value);
	if (text.length > LIMITS.objectBytes) {
		ctx.addIssue({ code: "custom", message: `Object must serialize to at most ${LIMITS.objectBytes} characters` });
		return z.NEVER;
	}
	return text;
});
