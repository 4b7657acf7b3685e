// The request bodies of the reference's examples (docs/api/ingestion-api.txt), as documented:
// the OpenAPI document shows them and the golden contract tests send them.

export const REFERENCE_EXAMPLES = {
	logs: {
		service: "my-app",
		environment: "production",
		logs: [
			{ level: "info", message: "User signed up", metadata: { userId: "u_123", plan: "pro" } },
			{ level: "error", message: "Payment failed", metadata: { orderId: "ord_456", reason: "card_declined" } },
		],
	},
	errors: {
		service: "my-app",
		environment: "production",
		error_message: "Cannot read properties of undefined (reading 'id')",
		stack_trace:
			"TypeError: Cannot read properties of undefined\n at getUser (/app/src/users.ts:42:15)\n at handler (/app/src/api/route.ts:10:3)",
		severity: "high",
		context: { userId: "u_123", route: "/api/users" },
	},
	traces: {
		service: "my-app",
		environment: "production",
		trace_id: "abc123def456",
		span_id: "span_001",
		parent_span_id: "",
		operation: "GET /api/users",
		start_time: "2026-02-23T00:00:00.000Z",
		duration_ms: 145,
		status: "ok",
		metadata: { "http.status_code": 200 },
	},
	llm: {
		service: "my-app",
		environment: "production",
		model: "gpt-4o",
		provider: "openai",
		operation: "chat.completion",
		input_tokens: 1250,
		output_tokens: 340,
		cost_usd: 0.0089,
		latency_ms: 2100,
		metadata: { feature: "support-chat" },
	},
} as const;
