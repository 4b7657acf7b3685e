// JVM (Java, Kotlin, Scala): "at com.acme.Foo.bar(Foo.java:42)", as printed by printStackTrace and loggers.

import { stripLineCol } from "../paths.ts";
import type { StackFrame, StackParser } from "./parser.ts";

// JVM: "com.acme.Foo.bar(Foo.java:42)" plus an optional logback packaging suffix " ~[app.jar:1.2]".
const JAVA_RE = /^([\w$.<>/-]+\.[\w$<>-]+)\(([^()]*)\)(?:\s+~?\[[^\]]*\])?$/;

/** An "at …" line in the JVM's form; any other is left to V8 (v8.ts), which also prints "at …". */
export const jvm: StackParser = (line, _lines, at, frames) => {
	if (!line.startsWith("at ")) return at;
	const rest = line.slice(3).trim();
	const j = rest.includes(" (") ? null : JAVA_RE.exec(rest); // V8 puts a space before "(", the JVM not
	if (j?.[1] === undefined || j[2] === undefined) return at;
	frames.push(javaFrame(j[1], j[2]));
	return at + 1;
};

// JVM frames not from the application: the platform, common frameworks, and generated proxies.
const JAVA_LIB_RE =
	/^(?:java|javax|jakarta|jdk|sun|com\.sun|kotlin|kotlinx|scala|groovy|org\.springframework|org\.apache|org\.hibernate|org\.eclipse|org\.glassfish|org\.jboss|io\.netty|io\.undertow|reactor|io\.reactivex|com\.fasterxml|com\.google\.common|com\.google\.gson|com\.zaxxer|org\.postgresql|com\.mysql|org\.junit|org\.slf4j|ch\.qos\.logback|io\.micrometer|io\.grpc|okhttp3|retrofit2|feign|io\.opentelemetry|net\.bytebuddy|org\.aspectj|android|androidx|dalvik|com\.android|io\.ktor)\.|\$Proxy|GeneratedMethodAccessor|\$\$Lambda|\$\$EnhancerBy|\$\$FastClassBy|\$\$SpringCGLIB/;

function javaFrame(rawFn: string, loc: string): StackFrame {
	// Drop the module prefix ("java.base/", "app//") and build-specific numbers in synthetic names.
	const bare = rawFn.replace(/^[^/$]*\/\/?/, "");
	const fn = bare
		.replace(/\$\$Lambda[$.]?[\w$]*?(?:\/(?:0x)?[0-9a-f]+)?(?=\.)/, "$$$$Lambda")
		.replace(/(\$\$(?:EnhancerBy\w*?|FastClassBy\w*?|SpringCGLIB)\$\$)[0-9a-f]+/, "$1")
		.replace(/\$Proxy\d+/, "$$Proxy")
		.replace(/GeneratedMethodAccessor\d+/, "GeneratedMethodAccessor")
		.replace(/(lambda\$[\w]+)\$\d+$/, "$1");
	const file = loc === "Native Method" || loc === "Unknown Source" ? "" : stripLineCol(loc);
	return { fn, file, inApp: !JAVA_LIB_RE.test(bare) };
}
