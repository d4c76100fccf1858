import { randomUUID } from "node:crypto";
import type { DeliveryRecord, DeliveryRepository, Page } from "../storage.js";
import type { Delivery, DeliveryAttempt, DeliveryStatus, JsonObject } from "../types.js";
import { parseJson, toJson } from "./json.js";
import { placeholders } from "./sql.js";
import type { SqliteDatabase } from "./database.js";

interface DeliveryRow {
  seq: number;
  delivery_id: string;
  run_id: string;
  thread_id: string | null;
  url: string;
  payload: string;
  status: DeliveryStatus;
  attempt_count: number;
  automatic_attempts: number;
  manual_requested: number;
  next_attempt_at: string | null;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: DeliveryRow): Delivery {
  return {
    delivery_id: row.delivery_id,
    run_id: row.run_id,
    thread_id: row.thread_id,
    url: row.url,
    payload: parseJson<JsonObject>(row.payload),
    status: row.status,
    attempt_count: row.attempt_count,
    automatic_attempts: row.automatic_attempts,
    manual_requested: row.manual_requested === 1,
    next_attempt_at: row.next_attempt_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const SELECT_DELIVERY = `SELECT d.*,
  (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.delivery_id AND a.trigger = 'automatic') AS automatic_attempts
  FROM webhook_deliveries d`;

export class SqliteDeliveries implements DeliveryRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly dueStmt;
  private readonly insertAttemptStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      `INSERT INTO webhook_deliveries (delivery_id, run_id, thread_id, url, payload, status, next_attempt_at, created_at, updated_at)
       VALUES (@delivery_id, @run_id, @thread_id, @url, @payload, 'pending', @now, @now, @now)`,
    );
    this.getStmt = db.prepare<[string], DeliveryRow>(`${SELECT_DELIVERY} WHERE d.delivery_id = ?`);
    this.dueStmt = db.prepare<[string, string, number], DeliveryRow>(
      `${SELECT_DELIVERY}
       WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?)
       ORDER BY d.next_attempt_at LIMIT ?`,
    );
    this.insertAttemptStmt = db.prepare(
      `INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt)
       VALUES (@delivery_id, @attempt, @trigger, @started_at, @duration_ms, @status_code, @error, @response_excerpt)`,
    );
  }

  /** Outbox write; called inside the run's finishing transaction. */
  insertSync(input: { delivery_id?: string; run_id: string; thread_id: string | null; url: string; payload: JsonObject }, now: Date): string {
    const deliveryId = input.delivery_id ?? randomUUID();
    this.insertStmt.run({
      delivery_id: deliveryId,
      run_id: input.run_id,
      thread_id: input.thread_id,
      url: input.url,
      payload: toJson(input.payload),
      now: now.toISOString(),
    });
    return deliveryId;
  }

  async claimDue(limit: number, now: Date, leaseUntil: Date): Promise<Delivery[]> {
    return this.db.transaction(() => {
      const nowIso = now.toISOString();
      const rows = this.dueStmt.all(nowIso, nowIso, limit);
      if (rows.length > 0) {
        this.db
          .prepare(`UPDATE webhook_deliveries SET lease_expires_at = ? WHERE delivery_id IN (${placeholders(rows.length)})`)
          .run(leaseUntil.toISOString(), ...rows.map((row) => row.delivery_id));
      }
      return rows.map(fromRow);
    })();
  }

  async nextDue(): Promise<Date | undefined> {
    const row = this.db
      .prepare<[], { at: string | null }>(
        "SELECT min(max(next_attempt_at, coalesce(lease_expires_at, ''))) AS at FROM webhook_deliveries WHERE status = 'pending'",
      )
      .get();
    return row?.at ? new Date(row.at) : undefined;
  }

  async recordAttempt(
    deliveryId: string,
    attempt: DeliveryAttempt,
    next: { status: "succeeded" | "failed" } | { status: "pending"; next_attempt_at: Date },
  ): Promise<void> {
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.insertAttemptStmt.run({ delivery_id: deliveryId, ...attempt });
      this.db
        .prepare(
          `UPDATE webhook_deliveries SET status = ?, attempt_count = ?, next_attempt_at = ?, lease_expires_at = NULL,
             manual_requested = 0, updated_at = ?
           WHERE delivery_id = ?`,
        )
        .run(
          next.status,
          attempt.attempt,
          next.status === "pending" ? next.next_attempt_at.toISOString() : null,
          now,
          deliveryId,
        );
    })();
  }

  async releaseAllLeases(): Promise<void> {
    this.db.prepare("UPDATE webhook_deliveries SET lease_expires_at = NULL WHERE lease_expires_at IS NOT NULL").run();
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const row = this.getStmt.get(deliveryId);
    if (!row) return undefined;
    const attempts = this.db
      .prepare<[string], DeliveryAttempt>(
        `SELECT attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt
         FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`,
      )
      .all(deliveryId);
    return { ...fromRow(row), attempts };
  }

  async list(query: Page & { run_id?: string; thread_id?: string; status?: DeliveryStatus }): Promise<Delivery[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const column of ["run_id", "thread_id", "status"] as const) {
      if (query[column] !== undefined) {
        conditions.push(`d.${column} = ?`);
        params.push(query[column]);
      }
    }
    const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
    return this.db
      .prepare<unknown[], DeliveryRow>(`${SELECT_DELIVERY} ${where} ORDER BY d.seq DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset)
      .map(fromRow);
  }

  async redeliver(deliveryId: string): Promise<boolean> {
    const now = new Date().toISOString();
    const result = this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, manual_requested = 1, updated_at = ?
         WHERE delivery_id = ?`,
      )
      .run(now, now, deliveryId);
    return result.changes > 0;
  }
}
