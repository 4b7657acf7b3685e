import { onShutdown, printEnv, startLocalStack } from "./stack/local.ts";

const stack = await startLocalStack();
onShutdown(() => stack.close());
printEnv(stack.env);
console.log("local stack is up (Ctrl-C stops it)");
