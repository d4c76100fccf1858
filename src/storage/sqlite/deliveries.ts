import { randomUUID } from "node:crypto";
import type { ClaimedDelivery, DeliveryClaim, DeliveryRecord, DeliveryRepository, FinishedAttempt, Page } from "../storage.js";
import type { Delivery, DeliveryAttempt, DeliveryStatus, JsonObject } from "../types.js";
import { notFound } from "../../errors.js";
import { afterAttempt, afterRelease, MANUAL, originOf, redelivery, type DeliveryState, type ManualRequest } from "../domain/delivery-states.js";
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
  manual_requested: ManualRequest;
  next_attempt_at: string | null;
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
    manual_requested: row.manual_requested !== MANUAL.none,
    next_attempt_at: row.next_attempt_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A claim held in memory: the attempt in flight under it, until recorded or released. */
interface Lease {
  owner: string;
  lease_id: string;
  /** ms since the epoch. */
  until: number;
  /** The row's `manual_requested`, kept with the lease: a record then needs no read of the row. */
  manual: ManualRequest;
}

/**
 * The webhook outbox on the embedded database. Leases are kept in memory: one process owns the
 * database, so a lease only has to hold within it, and a crash (which loses them) leaves every
 * claimed delivery due at once, which is what a restart must do anyway. A claim therefore writes
 * nothing; an attempt's record is one INSERT and one UPDATE, batched with others in one commit.
 */
export class SqliteDeliveries implements DeliveryRepository {
  /** delivery_id → its lease: claimed, attempt not yet recorded. */
  private readonly leases = new Map<string, Lease>();
  private readonly insertStmt;
  private readonly getStmt;
  private readonly manualStmt;
  private readonly attemptsStmt;
  private readonly originsStmt;
  private readonly dueStmt;
  private readonly nextDueStmt;
  private readonly insertAttemptStmt;
  private readonly recordStmt;
  private readonly stateStmt;
  private readonly awaitingStmt;
  private readonly redeliverAfterStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare(
      `INSERT INTO webhook_deliveries (delivery_id, run_id, thread_id, url, origin, payload, status, next_attempt_at, created_at, updated_at)
       VALUES (@delivery_id, @run_id, @thread_id, @url, @origin, @payload, 'pending', @now, @now, @now)`,
    );
    this.getStmt = db.prepare<[string], DeliveryRow>("SELECT * FROM webhook_deliveries WHERE delivery_id = ?");
    this.manualStmt = db
      .prepare<[string], ManualRequest>("SELECT manual_requested FROM webhook_deliveries WHERE delivery_id = ?")
      .pluck();
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
    this.recordStmt = db.prepare(
      `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @next_attempt_at, manual_requested = @manual_requested,
         attempt_count = @attempt, automatic_attempts = automatic_attempts + @automatic, updated_at = @now
       WHERE delivery_id = @delivery_id`,
    );
    this.stateStmt = db.prepare(
      `UPDATE webhook_deliveries SET status = @status, next_attempt_at = @next_attempt_at, manual_requested = @manual_requested, updated_at = @now
       WHERE delivery_id = @delivery_id`,
    );
    // Redeliveries asked for during attempts of a process that then died (its leases died with it).
    this.awaitingStmt = db
      .prepare<[], string>(`SELECT delivery_id FROM webhook_deliveries WHERE manual_requested = ${MANUAL.afterAttempt}`)
      .pluck();
    this.redeliverAfterStmt = db.prepare(
      `UPDATE webhook_deliveries SET manual_requested = ${MANUAL.afterAttempt}, updated_at = @now WHERE delivery_id = @delivery_id`,
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
    const lease = this.leases.get(deliveryId);
    return lease !== undefined && lease.until > nowMs;
  }

  async claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const nowMs = claim.now.getTime();
    const nowIso = claim.now.toISOString();
    const claimed = transaction(this.db, () => {
      for (const finished of claim.finished) this.record(finished, claim.now);
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
      // Due time, then age: the order the PostgreSQL side claims in.
      candidates.sort((a, b) => (a.next_attempt_at! < b.next_attempt_at! ? -1 : a.next_attempt_at! > b.next_attempt_at! ? 1 : a.seq - b.seq));
      return candidates.slice(0, claim.limit);
    });
    const until = nowMs + claim.lease.leaseMs;
    return claimed.map((row) => {
      const lease: Lease = { owner: claim.lease.owner, lease_id: randomUUID(), until, manual: row.manual_requested };
      this.leases.set(row.delivery_id, lease);
      return { ...fromRow(row), origin: row.origin, lease_id: lease.lease_id };
    });
  }

  /** Fenced: an attempt whose lease was released, or lapsed and was claimed again, is not recorded. */
  private record({ delivery_id, lease_id, attempt, next }: FinishedAttempt, now: Date): void {
    const lease = this.leases.get(delivery_id);
    if (lease?.lease_id !== lease_id) return;
    this.leases.delete(delivery_id);
    this.writeAttempt(delivery_id, attempt, afterAttempt(lease.manual, next, now), now);
  }

  private writeAttempt(deliveryId: string, attempt: DeliveryAttempt, state: DeliveryState, now: Date): void {
    this.insertAttemptStmt.run({ delivery_id: deliveryId, ...attempt });
    this.recordStmt.run({
      delivery_id: deliveryId,
      status: state.status,
      next_attempt_at: state.next_attempt_at?.toISOString() ?? null,
      manual_requested: state.manual_requested,
      attempt: attempt.attempt,
      automatic: attempt.trigger === "automatic" ? 1 : 0,
      now: now.toISOString(),
    });
  }

  /** Writes a delivery's next state, keeping the copy of `manual_requested` in its lease (if any) in step. */
  private writeState(deliveryId: string, state: DeliveryState, now: Date): boolean {
    const written = this.stateStmt.run({
      delivery_id: deliveryId,
      status: state.status,
      next_attempt_at: state.next_attempt_at?.toISOString() ?? null,
      manual_requested: state.manual_requested,
      now: now.toISOString(),
    });
    const lease = this.leases.get(deliveryId);
    if (lease) lease.manual = state.manual_requested;
    return written.changes > 0;
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, next: FinishedAttempt["next"]): Promise<void> {
    const now = new Date();
    transaction(this.db, () => {
      const manual = this.manualStmt.get(deliveryId);
      if (manual === undefined) throw notFound("delivery", deliveryId);
      this.leases.delete(deliveryId);
      this.writeAttempt(deliveryId, attempt, afterAttempt(manual, next, now), now);
    });
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const row = this.nextDueStmt.get(after.toISOString());
    return row?.at ? new Date(row.at) : undefined;
  }

  async releaseLeases(owner?: string): Promise<void> {
    const now = new Date();
    transaction(this.db, () => {
      if (owner === undefined) {
        // Start-up: the leases of the dead owner died with it; only what it wrote to the rows is left.
        this.leases.clear();
        for (const deliveryId of this.awaitingStmt.all()) this.writeState(deliveryId, afterRelease(MANUAL.afterAttempt, now)!, now);
        return;
      }
      for (const [deliveryId, lease] of this.leases) {
        if (lease.owner !== owner) continue;
        this.leases.delete(deliveryId);
        const state = afterRelease(lease.manual, now);
        if (state) this.writeState(deliveryId, state, now);
      }
    });
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const row = this.getStmt.get(deliveryId);
    if (!row) return undefined;
    return { ...fromRow(row), attempts: this.attemptsStmt.all(deliveryId) };
  }

  async list(query: Page & { run_id?: string; thread_id?: string; status?: DeliveryStatus }): Promise<Delivery[]> {
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
    const asked = redelivery(this.leased(deliveryId, now.getTime()), now);
    if (asked.kind === "now") return this.writeState(deliveryId, asked.state, now);
    if (this.redeliverAfterStmt.run({ delivery_id: deliveryId, now: now.toISOString() }).changes === 0) return false;
    this.leases.get(deliveryId)!.manual = MANUAL.afterAttempt;
    return true;
  }
}
