import { type ResolvedStack, type ResolveInput, resolveStack } from "../../sourcemaps/resolve.ts";
import { fingerprintError } from "./index.ts";

/**
 * Where source maps meet fingerprints. An error's frames that have an uploaded map (src/sourcemaps/) are first
 * rewritten to their original place, as V8 prints frames (parsers/v8.ts reads them, paths.ts normalises their
 * original files), and every other line is left as sent: so a rebuild groups the same, and an error without maps
 * keeps the fingerprint of its own text. Returns the resolution too: the row stores the resolved stack.
 */
export async function fingerprintResolved(
	input: ResolveInput & { errorMessage: string },
): Promise<{ fingerprint: string; resolved: ResolvedStack }> {
	const { errorMessage, stackTrace, release, project, store, now } = input;
	const resolved = await resolveStack({ stackTrace, release, project, store, now });
	const known = fingerprintError({ errorMessage, stackTrace: resolved.text });
	return { fingerprint: typeof known === "string" ? known : await known, resolved };
}
