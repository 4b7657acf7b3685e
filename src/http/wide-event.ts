/**
 * One structured log line per request: everything worth knowing about it, in one place.
 * Never holds a key's plaintext, a secret or a connection string.
 */
export interface WideEvent {
	request_id: string;
	method: string;
	route: string;
	status?: number;
	outcome?: string;
	key_id?: string;
	project_id?: string;
	count?: number;
	rejected?: number;
	bytes?: number;
	duration_ms?: number;
	rate_limit_failed_open?: boolean;
	auth_source?: string;
	error?: string;
	[extra: string]: unknown;
}

export function emit(event: WideEvent): void {
	console.log(JSON.stringify(event));
}
