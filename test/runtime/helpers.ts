import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { readLangGraphJson } from "../../src/config/langgraph-json.js";
import { GraphRegistry } from "../../src/runtime/graph-loader.js";
import type { RunRequest } from "../../src/runtime/types.js";
import type { HookgraphStore } from "../../src/storage/backend.js";
import { openGraphPersistence } from "../../src/storage/persistence.js";

export const FIXTURES_CONFIG = fileURLToPath(new URL("../fixtures/langgraph.json", import.meta.url));
export const FIXTURE_GRAPHS = fileURLToPath(new URL("../fixtures/graphs/", import.meta.url));

export interface Runtime {
  registry: GraphRegistry;
  checkpointer: BaseCheckpointSaver;
  store: HookgraphStore;
  dir: string;
  close(): Promise<void>;
}

/**
 * The embedded graph persistence (real SQLite files in a temp dir), every fixture graph of
 * test/fixtures/langgraph.json loaded on it. test/storage/conformance runs what depends on the
 * dialect on both.
 */
export async function openRuntime(): Promise<Runtime> {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-runtime-"));
  const { checkpointer, store, close } = await openGraphPersistence({ kind: "sqlite", dataDir: dir });
  const registry = await GraphRegistry.load(readLangGraphJson(FIXTURES_CONFIG).graphs, { checkpointer, store });
  return {
    registry,
    checkpointer,
    store,
    dir,
    async close() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Recorded {
  event: string;
  data: unknown;
}

export function recorder(): { events: Recorded[]; emit: (event: string, data: unknown) => void; names(): string[] } {
  const events: Recorded[] = [];
  return {
    events,
    // Round-trip through JSON, as the bus/SSE will: proves the data is plain JSON.
    emit: (event, data) => events.push({ event, data: JSON.parse(JSON.stringify(data)) }),
    names: () => events.map((e) => e.event),
  };
}

export function request(graphId: string, overrides: Partial<RunRequest> = {}): RunRequest {
  return {
    runId: randomUUID(),
    threadId: randomUUID(),
    assistantId: randomUUID(),
    graphId,
    input: null,
    config: {},
    streamMode: ["values"],
    streamSubgraphs: false,
    attempt: 1,
    resumed: false,
    ...overrides,
  };
}

/** A fresh never-aborted signal (the library adds a listener per run; one shared signal would pile them up). */
export const never = (): AbortSignal => new AbortController().signal;
