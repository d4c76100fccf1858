import { Annotation, StateGraph } from "@langchain/langgraph";

// The cheapest possible run: one node that hands its input back, so a server's own cost per run
// (HTTP, queueing, storage) is what the benchmark measures.
const State = Annotation.Root({
  value: Annotation<unknown>(),
});

export const graph = new StateGraph(State)
  .addNode("echo", (state) => ({ value: state.value }))
  .addEdge("__start__", "echo")
  .compile();
