import { createApp } from "./app.ts";
import { createServices } from "./services/index.ts";

const app = createApp({ services: createServices });

export default {
	fetch: app.fetch,
} satisfies ExportedHandler<Env>;
