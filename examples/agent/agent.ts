import { Annotation, MessagesAnnotation, StateGraph } from "@langchain/langgraph";
import { AIMessage } from "@langchain/core/messages";

// The example agent served by `npx hookgraph dev`: deterministic, no API key.
// It answers each human message with an echo.
const State = Annotation.Root({ ...MessagesAnnotation.spec });

export const graph = new StateGraph(State)
  .addNode("agent", (state) => {
    const last = state.messages.at(-1);
    const text = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
    return { messages: [new AIMessage(`You said: ${text}`)] };
  })
  .addEdge("__start__", "agent")
  .compile();
