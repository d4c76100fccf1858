import { Command, InvalidArgumentError, Option } from "commander";
import { stopOnSignals } from "../cli/signals.js";
import { parseRuleSpec, RuleError, type ResponseRule } from "./responses.js";
import { DEFAULT_HOST, DEFAULT_MAX_REQUESTS, DEFAULT_PORT, RESERVED_ROUTES, startInspector } from "./server.js";
import type { ReceivedRequest } from "./store.js";

interface InspectFlags {
  port: number;
  host: string;
  secret?: string;
  maxRequests: number;
  respond: ResponseRule[];
}

function integer(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

function collectRule(spec: string, previous: ResponseRule[]): ResponseRule[] {
  try {
    return [...previous, parseRuleSpec(spec)];
  } catch (error) {
    if (error instanceof RuleError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** One terminal line per hook: path only, since query values may carry tokens. */
function logLine(request: ReceivedRequest): string {
  const verdict = request.signature ? ` ${request.signature.verdict}` : "";
  return `${request.received_at} ${request.method} ${request.path} -> ${request.response.status}${verdict} (${request.size} B)\n`;
}

export function registerInspectCommand(program: Command): void {
  program
    .command("inspect")
    .description("receive webhooks locally and watch them live in a web page")
    .option("--port <port>", "port to listen on (0 picks a free one)", integer("--port", 0, 65535), DEFAULT_PORT)
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .addOption(
      // From the environment preferably: a command line's arguments are visible to every user (ps).
      new Option("--secret <whsec>", "Standard Webhooks secret; signatures are checked when given (prefer the variable)").env(
        "HOOKGRAPH_INSPECT_SECRET",
      ),
    )
    .option("--max-requests <n>", "requests kept in memory", integer("--max-requests", 1, 1_000_000), DEFAULT_MAX_REQUESTS)
    .option(
      "--respond <PATH=SPEC>",
      "answer PATH with STATUSES[;delay=MS][;retry-after=S], e.g. '/hooks/a=503,503,200;retry-after=5' (repeatable)",
      collectRule,
      [],
    )
    .addHelpText("after", `\nReserved for the inspector itself: ${RESERVED_ROUTES.join(", ")}. Every other path records hooks.`)
    .action(async (flags: InspectFlags) => {
      const inspector = await startInspector({
        host: flags.host,
        port: flags.port,
        secret: flags.secret,
        maxRequests: flags.maxRequests,
        responses: flags.respond,
        onRequest: (request) => process.stdout.write(logLine(request)),
      });
      process.stdout.write(
        [
          `hookgraph inspect listening on ${inspector.url}`,
          `  page:        ${inspector.url}/`,
          `  webhook URL: ${inspector.webhookUrl()}`,
          `  signatures:  ${flags.secret === undefined ? "not checked (no HOOKGRAPH_INSPECT_SECRET)" : "checked"}`,
          `  reserved:    ${RESERVED_ROUTES.join(" ")} (every other path records hooks)`,
          "",
        ].join("\n"),
      );
      stopOnSignals(() => inspector.close());
    });
}
