import { Writer } from "./protobuf.ts";

export type Signal = "traces" | "logs";
export type Encoding = "protobuf" | "json";

export const PROTOBUF = "application/x-protobuf";

/** google.rpc.Code INVALID_ARGUMENT: the code of a 400 Status. */
export const INVALID_ARGUMENT = 3;

const REJECTED_FIELD: Record<Signal, string> = { traces: "rejectedSpans", logs: "rejectedLogRecords" };

/** ExportTraceServiceResponse / ExportLogsServiceResponse as JSON; partial_success set only when something was rejected. */
export function exportResponseJson(signal: Signal, rejected: number, errorMessage: string): object {
	if (rejected === 0 && errorMessage === "") return {};
	// int64 as a decimal string: the protobuf JSON mapping's canonical form.
	return { partialSuccess: { [REJECTED_FIELD[signal]]: String(rejected), errorMessage } };
}

/**
 * The same in protobuf: ExportXServiceResponse { ExportXPartialSuccess partial_success = 1 },
 * ExportXPartialSuccess { int64 rejected_x = 1; string error_message = 2 }.
 */
export function exportResponseProtobuf(rejected: number, errorMessage: string): Uint8Array<ArrayBuffer> {
	if (rejected === 0 && errorMessage === "") return new Uint8Array(0);
	return new Writer().message(1, new Writer().uint(1, rejected).string(2, errorMessage)).finish();
}

/** google.rpc.Status { int32 code = 1; string message = 2 }: the body of an OTLP 400. */
export function statusProtobuf(code: number, message: string): Uint8Array<ArrayBuffer> {
	return new Writer().uint(1, code).string(2, message).finish();
}
