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
import { transaction, withMigrationLock, type PgPool, type PgQueryable } from "./database.js";
import { iso, jsonParam } from "./json.js";
import { orderBy } from "./order-by.js";
import { QueryParams } from "./query-params.js";
import { textParam } from "./text.js";

interface VersionRow {
  assistant_id: string;
  version: number;
  graph_id: string;
  name: string;
  description: string | null;
  config: JsonObject;
  context: JsonObject;
  metadata: JsonObject;
  created_at: Date;
}

interface AssistantRow extends VersionRow {
  updated_at: Date;
}

const COLUMNS = "assistant_id, graph_id, name, description, config, context, metadata, version, created_at, updated_at";
const QUALIFIED_COLUMNS = COLUMNS.split(", ").map((column) => `a.${column}`).join(", ");
const VERSION_COLUMNS = "assistant_id, version, graph_id, name, description, config, context, metadata, created_at";
/** A version number beyond the column's type (integer) names no version. */
const MAX_VERSION = 2 ** 31 - 1;

function fromRow(row: AssistantRow): Assistant {
  return {
    assistant_id: row.assistant_id,
    graph_id: row.graph_id,
    name: row.name,
    description: row.description,
    config: row.config,
    context: row.context,
    metadata: row.metadata,
    version: row.version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function versionFromRow(row: VersionRow): AssistantVersion {
  return {
    assistant_id: row.assistant_id,
    version: row.version,
    graph_id: row.graph_id,
    name: row.name,
    description: row.description,
    config: row.config,
    context: row.context,
    metadata: row.metadata,
    created_at: iso(row.created_at),
  };
}

/** A version's fields as parameters, each checked for what PostgreSQL cannot store (422 naming it). */
function fieldParams(fields: AssistantFields): [string, string, string | null, string, string, string] {
  return [
    textParam(fields.graph_id, "graph_id"),
    textParam(fields.name, "name"),
    textParam(fields.description, "description"),
    jsonParam(fields.config, "config"),
    jsonParam(fields.context, "context"),
    jsonParam(fields.metadata, "metadata"),
  ];
}

/**
 * Inserts assistants at version 1 with their first version row, in one statement (atomic on its
 * own), skipping ids that exist: ON CONFLICT waits for a concurrent insert of the same id to commit
 * or roll back, so racing creators never both insert and never fail on the key. Answers the rows
 * inserted, in the order given.
 */
async function insertNew(
  db: PgQueryable,
  assistants: readonly (AssistantFields & { assistant_id: string })[],
  now: string,
): Promise<AssistantRow[]> {
  const rows = assistants.map((assistant) => [textParam(assistant.assistant_id, "assistant_id"), ...fieldParams(assistant)]);
  // unnest takes one array per column.
  const columns = rows[0].map((_, column) => rows.map((row) => row[column]));
  const inserted = await db.query<AssistantRow>(
    `WITH created AS (
       INSERT INTO assistants (${COLUMNS})
       SELECT id, graph_id, name, description, config, context, metadata, 1, $8, $8
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $7::jsonb[])
         WITH ORDINALITY AS given (id, graph_id, name, description, config, context, metadata, n)
       ORDER BY n
       ON CONFLICT (assistant_id) DO NOTHING
       RETURNING ${COLUMNS}
     ), versioned AS (
       INSERT INTO assistant_versions (${VERSION_COLUMNS})
       SELECT assistant_id, version, graph_id, name, description, config, context, metadata, created_at FROM created
     )
     SELECT * FROM created`,
    [...columns, now],
  );
  return inserted.rows;
}

/** Assistants and their versions on PostgreSQL, safe with any number of processes writing at once. */
export class PostgresAssistants implements AssistantRepository {
  constructor(private readonly pool: PgPool) {}

  async ensureSystem(graphIds: string[]): Promise<void> {
    const assistants = [...new Set(graphIds)].map((graphId) => ({ assistant_id: systemAssistantId(graphId), ...systemAssistantFields(graphId) }));
    if (assistants.length === 0) return;
    // Processes starting together insert the same ids: ON CONFLICT makes that safe, and taking the
    // start-up (migration) lock makes it deadlock-free when their graph lists come in different
    // orders (each would wait on an id the other inserted first).
    await withMigrationLock(this.pool, (client) => insertNew(client, assistants, new Date().toISOString()));
  }

  async create(input: AssistantCreate): Promise<Assistant> {
    const assistantId = input.assistant_id ?? randomUUID();
    const assistant = { assistant_id: assistantId, ...newAssistantFields(input) };
    for (;;) {
      const [created] = await insertNew(this.pool, [assistant], new Date().toISOString());
      if (created) return fromRow(created);
      if (input.if_exists !== "do_nothing") throw conflict(`assistant ${assistantId} already exists`);
      // This statement sees the row the conflicting insert committed...
      const existing = await this.get(assistantId);
      if (existing) return existing;
      // ...unless it was deleted in between: then the id is free again.
    }
  }

  async get(assistantId: string): Promise<Assistant | undefined> {
    const { rows } = await this.pool.query<AssistantRow>(`SELECT ${COLUMNS} FROM assistants WHERE assistant_id = $1`, [
      textParam(assistantId, "assistant_id"),
    ]);
    return rows[0] && fromRow(rows[0]);
  }

  async patch(assistantId: string, patch: AssistantPatch): Promise<Assistant> {
    const id = textParam(assistantId, "assistant_id");
    const now = new Date().toISOString();
    return transaction(this.pool, async (client) => {
      // The row lock orders concurrent patches and setLatest: the merge starts from what the one
      // before committed.
      const { rows } = await client.query<AssistantRow>(`SELECT ${COLUMNS} FROM assistants WHERE assistant_id = $1 FOR UPDATE`, [id]);
      const current = rows[0];
      if (!current) throw notFound("assistant", assistantId);
      // The highest version is read by this later statement, whose snapshot (taken once the lock
      // was held) has every version committed before: the lock statement's snapshot may predate them.
      const updated = await client.query<AssistantRow>(
        `WITH updated AS (
           UPDATE assistants SET graph_id = $2, name = $3, description = $4, config = $5, context = $6, metadata = $7,
             version = (SELECT max(v.version) + 1 FROM assistant_versions v WHERE v.assistant_id = $1), updated_at = $8
           WHERE assistant_id = $1
           RETURNING ${COLUMNS}
         ), versioned AS (
           INSERT INTO assistant_versions (${VERSION_COLUMNS})
           SELECT assistant_id, version, graph_id, name, description, config, context, metadata, updated_at FROM updated
         )
         SELECT * FROM updated`,
        [id, ...fieldParams(patchedAssistantFields(current, patch)), now],
      );
      return fromRow(updated.rows[0]);
    });
  }

  async delete(assistantId: string): Promise<void> {
    const { rowCount } = await this.pool.query("DELETE FROM assistants WHERE assistant_id = $1", [textParam(assistantId, "assistant_id")]);
    if (rowCount === 0) throw notFound("assistant", assistantId);
  }

  private filters(query: Omit<AssistantSearch, "limit" | "offset" | "sort_by" | "sort_order">): QueryParams {
    const params = new QueryParams();
    if (query.graph_id !== undefined) params.where((p) => `graph_id = ${p}`, textParam(query.graph_id, "graph_id"));
    if (query.name !== undefined) params.where((p) => `strpos(lower(name), lower(${p})) > 0`, textParam(query.name, "name"));
    if (query.metadata !== undefined) params.where((p) => `metadata @> ${p}::jsonb`, jsonParam(query.metadata, "metadata"));
    return params;
  }

  async search(query: AssistantSearch): Promise<Assistant[]> {
    const sort = chooseSort(ASSISTANT_SORT, query, "created_at");
    const params = this.filters(query);
    const { rows } = await this.pool.query<AssistantRow>(
      `SELECT ${COLUMNS} FROM assistants ${params.whereClause()} ${orderBy(sort)}
       LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    return rows.map(fromRow);
  }

  async count(query: Omit<AssistantSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number> {
    const params = this.filters(query);
    const { rows } = await this.pool.query<{ total: number }>(`SELECT count(*) AS total FROM assistants ${params.whereClause()}`, params.values);
    return rows[0].total;
  }

  async versions(assistantId: string, query: Page & { metadata?: JsonObject }): Promise<AssistantVersion[]> {
    const params = new QueryParams().where((p) => `assistant_id = ${p}`, textParam(assistantId, "assistant_id"));
    if (query.metadata !== undefined) params.where((p) => `metadata @> ${p}::jsonb`, jsonParam(query.metadata, "metadata"));
    const { rows } = await this.pool.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM assistant_versions ${params.whereClause()}
       ORDER BY version DESC LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    if (rows.length === 0 && !(await this.get(assistantId))) throw notFound("assistant", assistantId);
    return rows.map(versionFromRow);
  }

  async setLatest(assistantId: string, version: number): Promise<Assistant> {
    const id = textParam(assistantId, "assistant_id");
    // One statement: the UPDATE's row lock orders it with concurrent patches.
    const { rows } = Number.isInteger(version) && version >= 1 && version <= MAX_VERSION
      ? await this.pool.query<AssistantRow>(
          `UPDATE assistants a SET graph_id = v.graph_id, name = v.name, description = v.description, config = v.config,
             context = v.context, metadata = v.metadata, version = v.version, updated_at = $3
           FROM assistant_versions v
           WHERE a.assistant_id = $1 AND v.assistant_id = a.assistant_id AND v.version = $2
           RETURNING ${QUALIFIED_COLUMNS}`,
          [id, version, new Date().toISOString()],
        )
      : { rows: [] };
    if (rows[0]) return fromRow(rows[0]);
    if (!(await this.get(assistantId))) throw notFound("assistant", assistantId);
    throw notFound("assistant version", `${assistantId}@${version}`);
  }
}
