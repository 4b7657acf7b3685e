const MAX_MESSAGE_CHARS = 1024;

const URL_RE = /\b(?:https?|wss?|ftp|file):\/\/[^\s"'<>)\]]*/gi;
const EMAIL_RE = /\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}/g;
const UUID_RE = /\b[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\b/gi;
// Hex ids: 0x…, or 6+ hex chars holding both a digit and a letter (plain numbers fall to <n>, words stay).
const HEX_RE = /\b(?:0x[0-9a-f]+|(?=\d*[a-f])(?=[a-f]*\d)[0-9a-f]{6,})\b/gi;

/** A message with what varies between occurrences (URLs, emails, ids, numbers) masked, for errors without frames. */
export function maskMessage(message: string): string {
	return message
		.slice(0, MAX_MESSAGE_CHARS)
		.replace(/\s+/g, " ")
		.trim()
		.replace(URL_RE, "<url>")
		.replace(EMAIL_RE, "<email>")
		.replace(UUID_RE, "<uuid>")
		.replace(HEX_RE, "<hex>")
		.replace(/\d+/g, "<n>");
}
