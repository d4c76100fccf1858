import { Annotation, StateGraph, type LangGraphRunnableConfig } from "@langchain/langgraph";

// Emits `count` custom stream events (stream mode "custom") from a single node, so streaming
// figures measure the server's event path rather than graph work.
const MAX_EVENTS = 100_000;

const State = Annotation.Root({
  count: Annotation<number>(),
  emitted: Annotation<number>(),
});

export const graph = new StateGraph(State)
  .addNode("emit", (state, config: LangGraphRunnableConfig) => {
    const count = Math.min(Math.max(0, Math.trunc(Number(state.count) || 0)), MAX_EVENTS);
    for (let i = 0; i < count; i += 1) config.writer?.({ i });
    return { emitted: count };
  })
  .addEdge("__start__", "emit")
  .compile();
