import { describe, expect, test } from "vitest";
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { Document } from "@langchain/core/documents";
import { Command, Send } from "@langchain/langgraph";
import { serializeMessage, toJson } from "../../src/runtime/serialize.js";

describe("serializeMessage", () => {
  test("human message has the Python model_dump fields", () => {
    expect(serializeMessage(new HumanMessage({ content: "hi", id: "h1" }))).toEqual({
      content: "hi",
      additional_kwargs: {},
      response_metadata: {},
      type: "human",
      name: null,
      id: "h1",
      example: false,
    });
  });

  test("ai message with tool calls gets typed tool calls and null usage", () => {
    const message = new AIMessage({ content: "", id: "a1", name: "bot", tool_calls: [{ id: "t1", name: "search", args: { q: "x" } }] });
    expect(serializeMessage(message)).toEqual({
      content: "",
      additional_kwargs: {},
      response_metadata: {},
      type: "ai",
      name: "bot",
      id: "a1",
      example: false,
      tool_calls: [{ id: "t1", name: "search", args: { q: "x" }, type: "tool_call" }],
      invalid_tool_calls: [],
      usage_metadata: null,
    });
  });

  test("tool and system messages", () => {
    expect(serializeMessage(new ToolMessage({ content: "42", tool_call_id: "t1", id: "tm" }))).toEqual({
      content: "42",
      additional_kwargs: {},
      response_metadata: {},
      type: "tool",
      name: null,
      id: "tm",
      tool_call_id: "t1",
      artifact: null,
      status: "success",
    });
    expect(serializeMessage(new SystemMessage({ content: "be nice", id: "s" }))).toMatchObject({ type: "system", content: "be nice", id: "s", name: null });
  });

  test("chunks are 'ai' in state, 'AIMessageChunk' only when asked (messages-tuple)", () => {
    const chunk = new AIMessageChunk({ content: "par", id: "c1" });
    expect(serializeMessage(chunk).type).toBe("ai");
    expect(serializeMessage(chunk)).not.toHaveProperty("tool_call_chunks");
    const tuple = serializeMessage(chunk, { keepChunkTypes: true });
    expect(tuple.type).toBe("AIMessageChunk");
    expect(tuple.tool_call_chunks).toEqual([]);
  });
});

describe("toJson", () => {
  test("never emits the LangChain constructor form", () => {
    const state = { messages: [new HumanMessage("a"), new AIMessage("b")], nested: { deep: [new AIMessageChunk("c")] } };
    const text = JSON.stringify(toJson(state));
    expect(text).not.toContain('"lc":1');
    expect(text).not.toContain("constructor");
    expect(toJson(state)).toMatchObject({ messages: [{ type: "human", content: "a" }, { type: "ai", content: "b" }], nested: { deep: [{ type: "ai" }] } });
  });

  test("commands, sends, interrupts, dates, maps, sets, bytes, errors, documents", () => {
    const at = new Date("2024-01-02T03:04:05.000Z");
    expect(toJson(new Command({ resume: "yes", update: { a: 1 }, goto: [new Send("n", { x: 1 }), "m"] }))).toEqual({
      graph: null,
      update: { a: 1 },
      resume: "yes",
      goto: [{ node: "n", arg: { x: 1 } }, "m"],
    });
    expect(toJson({ interrupts: [{ id: "i1", value: { q: at } }] })).toEqual({ interrupts: [{ id: "i1", value: { q: "2024-01-02T03:04:05.000Z" } }] });
    expect(toJson({ m: new Map([["k", 1]]), s: new Set([1, 2]), b: new Uint8Array([104, 105]) })).toEqual({ m: { k: 1 }, s: [1, 2], b: "aGk=" });
    expect(toJson(new TypeError("bad"))).toEqual({ error: "TypeError", message: "bad" });
    expect(toJson(new Document({ pageContent: "text", metadata: { source: "s" } }))).toEqual({
      id: null,
      metadata: { source: "s" },
      page_content: "text",
      type: "Document",
    });
  });

  test("drops undefined and functions, breaks cycles, keeps bigints and non-finite numbers JSON-safe", () => {
    const cyclic: Record<string, unknown> = { a: 1, f: () => 1, u: undefined, n: Number.NaN, big: 12n };
    cyclic.self = cyclic;
    expect(toJson(cyclic)).toEqual({ a: 1, n: null, big: 12, self: null });
  });
});
