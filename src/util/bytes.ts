/** The pieces' bytes in one new array; `total`, their length, when the caller has counted it. */
export function concatBytes(
	pieces: readonly Uint8Array[],
	total = pieces.reduce((n, p) => n + p.byteLength, 0),
): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(total);
	let at = 0;
	for (const p of pieces) {
		out.set(p, at);
		at += p.byteLength;
	}
	return out;
}
