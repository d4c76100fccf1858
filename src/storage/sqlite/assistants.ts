import { randomUUID } from "node:crypto";
import type { AssistantCreate, AssistantPatch, AssistantRepository, AssistantSearch, Page } from "../storage.js";
import type { Assistant, AssistantVersion, JsonObject } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { systemAssistantId } from "../system-assistant.js";
import {
  ASSISTANT_SORT,
  newAssistantFields,
  patchedAssistantFields,
  systemAssistantFields,
  type AssistantFields,
} from "../domain/assistants.js";
import { chooseSort } from "../domain/sorting.js";
import { containsJson, parseJson, toJson } from "./json.js";
import { sortClause } from "./sql.js";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";

interface AssistantRow {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  config: string;
  context: string;
  metadata: string;
  version: number;
  created_at: string;
  updated_at: string;
}

function fromRow(row: AssistantRow): Assistant {
  return {
    ...row,
    config: parseJson<JsonObject>(row.config),
    context: parseJson<JsonObject>(row.context),
    metadata: parseJson<JsonObject>(row.metadata),
  };
}

/** The columns of an assistant's fields (JSON as text). */
function fieldColumns(fields: AssistantFields): Pick<AssistantRow, keyof AssistantFields> {
  return {
    graph_id: fields.graph_id,
    name: fields.name,
    description: fields.description,
    config: toJson(fields.config),
    context: toJson(fields.context),
    metadata: toJson(fields.metadata),
  };
}

export class SqliteAssistants implements AssistantRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly insertVersionStmt;
  private readonly updateStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.getStmt = db.prepare<[string], AssistantRow>("SELECT * FROM assistants WHERE assistant_id = ?");
    this.insertStmt = db.prepare(
      `INSERT INTO assistants (assistant_id, graph_id, name, description, config, context, metadata, version, created_at, updated_at)
       VALUES (@assistant_id, @graph_id, @name, @description, @config, @context, @metadata, @version, @created_at, @updated_at)`,
    );
    this.insertVersionStmt = db.prepare(
      `INSERT INTO assistant_versions (assistant_id, version, graph_id, name, description, config, context, metadata, created_at)
       VALUES (@assistant_id, @version, @graph_id, @name, @description, @config, @context, @metadata, @created_at)`,
    );
    this.updateStmt = db.prepare(
      `UPDATE assistants SET graph_id = @graph_id, name = @name, description = @description, config = @config,
         context = @context, metadata = @metadata, version = @version, updated_at = @updated_at
       WHERE assistant_id = @assistant_id`,
    );
  }

  private insert(row: AssistantRow): void {
    this.insertStmt.run(row);
    this.insertVersionStmt.run({ ...row, created_at: row.updated_at });
  }

  async ensureSystem(graphIds: string[]): Promise<void> {
    const now = new Date().toISOString();
    transaction(this.db, () => {
      for (const graphId of graphIds) {
        const assistantId = systemAssistantId(graphId);
        if (this.getStmt.get(assistantId)) continue;
        this.insert({ assistant_id: assistantId, ...fieldColumns(systemAssistantFields(graphId)), version: 1, created_at: now, updated_at: now });
      }
    });
  }

  async create(input: AssistantCreate): Promise<Assistant> {
    const assistantId = input.assistant_id ?? randomUUID();
    const now = new Date().toISOString();
    return transaction(this.db, () => {
      const existing = this.getStmt.get(assistantId);
      if (existing) {
        if (input.if_exists === "do_nothing") return fromRow(existing);
        throw conflict(`assistant ${assistantId} already exists`);
      }
      const row: AssistantRow = { assistant_id: assistantId, ...fieldColumns(newAssistantFields(input)), version: 1, created_at: now, updated_at: now };
      this.insert(row);
      return fromRow(row);
    });
  }

  async get(assistantId: string): Promise<Assistant | undefined> {
    const row = this.getStmt.get(assistantId);
    return row && fromRow(row);
  }

  async patch(assistantId: string, patch: AssistantPatch): Promise<Assistant> {
    const now = new Date().toISOString();
    return transaction(this.db, () => {
      const current = this.getStmt.get(assistantId);
      if (!current) throw notFound("assistant", assistantId);
      const { version: latest } = this.db
        .prepare<[string], { version: number }>("SELECT max(version) AS version FROM assistant_versions WHERE assistant_id = ?")
        .get(assistantId)!;
      const row: AssistantRow = {
        ...current,
        ...fieldColumns(patchedAssistantFields(fromRow(current), patch)),
        version: latest + 1,
        updated_at: now,
      };
      this.updateStmt.run(row);
      this.insertVersionStmt.run({ ...row, created_at: now });
      return fromRow(row);
    });
  }

  async delete(assistantId: string): Promise<void> {
    const result = this.db.prepare("DELETE FROM assistants WHERE assistant_id = ?").run(assistantId);
    if (result.changes === 0) throw notFound("assistant", assistantId);
  }

  private filtered(query: Omit<AssistantSearch, "limit" | "offset">): AssistantRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.graph_id !== undefined) {
      where.push("graph_id = ?");
      params.push(query.graph_id);
    }
    if (query.name !== undefined) {
      where.push("instr(lower(name), lower(?)) > 0");
      params.push(query.name);
    }
    const sql = `SELECT * FROM assistants ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ${sortClause(chooseSort(ASSISTANT_SORT, query, "created_at"))}`;
    const rows = this.db.prepare<unknown[], AssistantRow>(sql).all(...params);
    // Assistants are few: metadata containment is checked in memory.
    return query.metadata ? rows.filter((row) => containsJson(parseJson(row.metadata), query.metadata!)) : rows;
  }

  async search(query: AssistantSearch): Promise<Assistant[]> {
    return this.filtered(query).slice(query.offset, query.offset + query.limit).map(fromRow);
  }

  async count(query: Omit<AssistantSearch, "limit" | "offset">): Promise<number> {
    return this.filtered(query).length;
  }

  async versions(assistantId: string, query: Page & { metadata?: JsonObject }): Promise<AssistantVersion[]> {
    if (!this.getStmt.get(assistantId)) throw notFound("assistant", assistantId);
    const rows = this.db
      .prepare<[string], Omit<AssistantRow, "updated_at">>(
        "SELECT * FROM assistant_versions WHERE assistant_id = ? ORDER BY version DESC",
      )
      .all(assistantId);
    const matching = query.metadata ? rows.filter((row) => containsJson(parseJson(row.metadata), query.metadata!)) : rows;
    return matching.slice(query.offset, query.offset + query.limit).map((row) => ({
      ...row,
      config: parseJson<JsonObject>(row.config),
      context: parseJson<JsonObject>(row.context),
      metadata: parseJson<JsonObject>(row.metadata),
    }));
  }

  async setLatest(assistantId: string, version: number): Promise<Assistant> {
    const now = new Date().toISOString();
    return transaction(this.db, () => {
      const current = this.getStmt.get(assistantId);
      if (!current) throw notFound("assistant", assistantId);
      const chosen = this.db
        .prepare<[string, number], Omit<AssistantRow, "updated_at">>(
          "SELECT * FROM assistant_versions WHERE assistant_id = ? AND version = ?",
        )
        .get(assistantId, version);
      if (!chosen) throw notFound("assistant version", `${assistantId}@${version}`);
      const row: AssistantRow = { ...chosen, created_at: current.created_at, updated_at: now };
      this.updateStmt.run(row);
      return fromRow(row);
    });
  }
}
