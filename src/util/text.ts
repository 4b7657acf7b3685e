/**
 * `text` shortened to at most `max` UTF-16 units, never between the two halves of a surrogate pair: a lone
 * half cannot be encoded as UTF-8, and ClickHouse refuses the whole row for it (after the 200 was sent).
 */
export function clip(text: string, max: number): string {
	if (text.length <= max) return text;
	const last = text.charCodeAt(max - 1);
	return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
