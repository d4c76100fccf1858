import type { AssistantCreate, AssistantPatch, AssistantSearch } from "../storage.js";
import type { Assistant } from "../types.js";
import type { SortColumns } from "./sorting.js";

/** What an assistant's version holds: every field but its id, number and timestamps. */
export type AssistantFields = Pick<Assistant, "graph_id" | "name" | "description" | "config" | "context" | "metadata">;

export const ASSISTANT_SORT: SortColumns<NonNullable<AssistantSearch["sort_by"]>> = {
  assistant_id: "text",
  created_at: "time",
  updated_at: "time",
  name: "text",
  graph_id: "text",
};

/** Version 1 of a created assistant, with the official server's defaults. */
export function newAssistantFields(input: AssistantCreate): AssistantFields {
  return {
    graph_id: input.graph_id,
    name: input.name ?? "Untitled",
    description: input.description ?? null,
    config: input.config ?? {},
    context: input.context ?? {},
    metadata: input.metadata ?? {},
  };
}

/** A graph's system assistant: named after the graph, marked as made by the system. */
export function systemAssistantFields(graphId: string): AssistantFields {
  return { graph_id: graphId, name: graphId, description: null, config: {}, context: {}, metadata: { created_by: "system" } };
}

/**
 * The next version after a patch: given fields replace, `description: null` clears it, metadata
 * is merged key by key (as the official server does).
 */
export function patchedAssistantFields(current: AssistantFields, patch: AssistantPatch): AssistantFields {
  return {
    graph_id: patch.graph_id ?? current.graph_id,
    name: patch.name ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    config: patch.config ?? current.config,
    context: patch.context ?? current.context,
    metadata: patch.metadata !== undefined ? { ...current.metadata, ...patch.metadata } : current.metadata,
  };
}
