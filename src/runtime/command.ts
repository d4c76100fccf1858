import type { ApiCommand, ApiSend } from "./types.js";
import { graphLibrary, type RuntimeGraph } from "./graph-loader.js";

/**
 * The API's `command` body (`{resume, update, goto}`, goto may hold `{node, input}` sends) as a
 * Command built from the graph's own LangGraph classes: the graph tests Sends with `instanceof`.
 */
export function toCommand(command: ApiCommand, graph: RuntimeGraph) {
  const { Command, Send } = graphLibrary(graph);
  const toSend = (value: string | ApiSend) => (typeof value === "string" ? value : new Send(value.node, value.input));
  const goto = command.goto == null ? undefined : Array.isArray(command.goto) ? command.goto.map(toSend) : toSend(command.goto);
  const params: ConstructorParameters<typeof Command>[0] = {};
  if (command.resume !== undefined) params.resume = command.resume;
  if (command.update != null) params.update = command.update;
  if (goto !== undefined) params.goto = goto;
  return new Command(params);
}
