import { randomUUID } from "node:crypto";
import type { ClaimedDelivery, DeliveryClaim, DeliveryRecord, DeliveryRepository, FinishedAttempt, Page } from "../storage.js";
import type { DeliveryAttempt, DeliveryStatus, JsonObject } from "../types.js";
import { parseJson, toJson } from "./json.js";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";

interface DeliveryRow {
  seq: number;
  delivery_id: string;
  run_id: string;
  thread_id: string | null;
  url: string;
  origin: string;
  payload: string;
  status: DeliveryStatus;
  attempt_count: number;
  automatic_attempts: number;
  manual_requested: number;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * `manual_requested`: 0 none; 1 the next attempt is a manual one; 2 asked for while an attempt
 * was in flight, so another (manual) attempt follows it at once.
 */
const MANUAL_DURING_ATTEMPT = 2;

function fromRow(row: DeliveryRow): ClaimedDelivery {
  return {
    delivery_id: row.delivery_id,
    run_id: row.run_id,
    thread_id: row.thread_id,
    url: row.url,
    origin: row.origin,
    payload: parseJson<JsonObject>(row.payload),
    status: row.status,
    attempt_count: row.attempt_count,
    automatic_attempts: row.automatic_attempts,
    manual_requested: row.manual_requested > 0,
    next_attempt_at: row.next_attempt_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The concurrency bucket of a URL: the origin the sender limits per (the URL itself if it does not parse). */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}

/**
 * The webhook outbox on the embedded database. Leases are kept in memory: one process owns the
 * database, so a lease only has to hold within it, and a crash (which loses them) leaves every
 * claimed delivery due at once, which is what a restart must do anyway. A claim therefore writes
 * nothing; an attempt's record is one INSERT and one UPDATE, batched with others in one commit.
 */
export class SqliteDeliveries implements DeliveryRepository {
  /** delivery_id → lease end (ms): claimed, attempt not yet recorded. */
  private readonly leases = new Map<string, number>();
  private readonly insertStmt;
  private readonly getStmt;
  private readonly attemptsStmt;
  private readonly originsStmt;
  private readonly dueStmt;
  private readonly nextDueStmt;
  private readonly insertAttemptStmt;
  private readonly recordStmt;
  private readonly releaseStmt;
  private readonly redeliverNowStmt;
  private readonly redeliverAfterStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      `INSERT INTO webhook_deliveries (delivery_id, run_id, thread_id, url, origin, payload, status, next_attempt_at, created_at, updated_at)
       VALUES (@delivery_id, @run_id, @thread_id, @url, @origin, @payload, 'pending', @now, @now, @now)`,
    );
    this.getStmt = db.prepare<[string], DeliveryRow>("SELECT * FROM webhook_deliveries WHERE delivery_id = ?");
    this.attemptsStmt = db.prepare<[string], DeliveryAttempt>(
      `SELECT attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt
       FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`,
    );
    // A skip-scan of webhook_deliveries_origin_due: one seek per origin with pending deliveries.
    this.originsStmt = db
      .prepare<[], string>(
        `WITH RECURSIVE origins(origin) AS (
           SELECT (SELECT min(origin) FROM webhook_deliveries WHERE status = 'pending')
           UNION ALL
           SELECT (SELECT min(origin) FROM webhook_deliveries WHERE status = 'pending' AND origin > origins.origin)
           FROM origins WHERE origins.origin IS NOT NULL)
         SELECT origin FROM origins WHERE origin IS NOT NULL`,
      )
      .pluck();
    this.dueStmt = db.prepare<[string, string], DeliveryRow>(
      `SELECT * FROM webhook_deliveries
       WHERE status = 'pending' AND origin = ? AND next_attempt_at <= ? ORDER BY next_attempt_at`,
    );
    this.nextDueStmt = db.prepare<[string], { at: string | null }>(
      "SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > ?",
    );
    this.insertAttemptStmt = db.prepare(
      `INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt)
       VALUES (@delivery_id, @attempt, @trigger, @started_at, @duration_ms, @status_code, @error, @response_excerpt)`,
    );
    // Every right-hand side reads the row as it was before this UPDATE.
    this.recordStmt = db.prepare(
      `UPDATE webhook_deliveries SET
         status = CASE WHEN manual_requested = ${MANUAL_DURING_ATTEMPT} THEN 'pending' ELSE @status END,
         next_attempt_at = CASE WHEN manual_requested = ${MANUAL_DURING_ATTEMPT} THEN @now ELSE @next_attempt_at END,
         manual_requested = CASE WHEN manual_requested = ${MANUAL_DURING_ATTEMPT} THEN 1 ELSE 0 END,
         attempt_count = @attempt, automatic_attempts = automatic_attempts + @automatic, updated_at = @now
       WHERE delivery_id = @delivery_id`,
    );
    // A redelivery asked for during an attempt of a process that then died: due at once.
    this.releaseStmt = db.prepare(
      `UPDATE webhook_deliveries SET manual_requested = 1, status = 'pending', next_attempt_at = @now
       WHERE manual_requested = ${MANUAL_DURING_ATTEMPT}`,
    );
    this.redeliverNowStmt = db.prepare(
      `UPDATE webhook_deliveries SET manual_requested = 1, status = 'pending', next_attempt_at = @now, updated_at = @now
       WHERE delivery_id = @delivery_id`,
    );
    this.redeliverAfterStmt = db.prepare(
      `UPDATE webhook_deliveries SET manual_requested = ${MANUAL_DURING_ATTEMPT}, updated_at = @now WHERE delivery_id = @delivery_id`,
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
      origin: originOf(input.url),
      payload: toJson(input.payload),
      now: now.toISOString(),
    });
    return deliveryId;
  }

  private leased(deliveryId: string, nowMs: number): boolean {
    const until = this.leases.get(deliveryId);
    return until !== undefined && until > nowMs;
  }

  async claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const nowMs = claim.now.getTime();
    const nowIso = claim.now.toISOString();
    const claimed = transaction(this.db, () => {
      for (const finished of claim.finished) this.record(finished, nowIso);
      if (claim.limit <= 0) return [];
      // Each origin's oldest due deliveries not in flight, up to its free slots; then the oldest due of them all.
      const candidates: DeliveryRow[] = [];
      for (const origin of this.originsStmt.all()) {
        const free = Math.min(claim.perOrigin - (claim.busy.get(origin) ?? 0), claim.limit);
        if (free <= 0) continue;
        let taken = 0;
        for (const row of this.dueStmt.iterate(origin, nowIso)) {
          if (this.leased(row.delivery_id, nowMs)) continue;
          candidates.push(row);
          if (++taken === free) break;
        }
      }
      candidates.sort((a, b) => (a.next_attempt_at! < b.next_attempt_at! ? -1 : a.next_attempt_at! > b.next_attempt_at! ? 1 : 0));
      return candidates.slice(0, claim.limit);
    });
    const until = claim.leaseUntil.getTime();
    for (const row of claimed) this.leases.set(row.delivery_id, until);
    return claimed.map(fromRow);
  }

  private record({ delivery_id, attempt, next }: FinishedAttempt, nowIso: string): void {
    this.insertAttemptStmt.run({ delivery_id, ...attempt });
    this.recordStmt.run({
      delivery_id,
      status: next.status,
      next_attempt_at: next.status === "pending" ? next.next_attempt_at.toISOString() : null,
      attempt: attempt.attempt,
      automatic: attempt.trigger === "automatic" ? 1 : 0,
      now: nowIso,
    });
    this.leases.delete(delivery_id);
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, next: FinishedAttempt["next"]): Promise<void> {
    const nowIso = new Date().toISOString();
    transaction(this.db, () => this.record({ delivery_id: deliveryId, attempt, next }, nowIso));
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const row = this.nextDueStmt.get(after.toISOString());
    return row?.at ? new Date(row.at) : undefined;
  }

  async releaseAllLeases(): Promise<void> {
    this.leases.clear();
    this.releaseStmt.run({ now: new Date().toISOString() });
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const row = this.getStmt.get(deliveryId);
    if (!row) return undefined;
    const { origin: _origin, ...delivery } = fromRow(row);
    return { ...delivery, attempts: this.attemptsStmt.all(deliveryId) };
  }

  async list(query: Page & { run_id?: string; thread_id?: string; status?: DeliveryStatus }): Promise<ClaimedDelivery[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const column of ["run_id", "thread_id", "status"] as const) {
      if (query[column] !== undefined) {
        conditions.push(`${column} = ?`);
        params.push(query[column]);
      }
    }
    const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
    return this.db
      .prepare<unknown[], DeliveryRow>(`SELECT * FROM webhook_deliveries ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset)
      .map(fromRow);
  }

  async redeliver(deliveryId: string): Promise<boolean> {
    const now = new Date();
    // During an attempt the request is remembered and served right after it.
    const stmt = this.leased(deliveryId, now.getTime()) ? this.redeliverAfterStmt : this.redeliverNowStmt;
    return stmt.run({ delivery_id: deliveryId, now: now.toISOString() }).changes > 0;
  }
}
