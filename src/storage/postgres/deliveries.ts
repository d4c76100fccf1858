import { randomUUID } from "node:crypto";
import type { ClaimedDelivery, DeliveryClaim, DeliveryRecord, DeliveryRepository, FinishedAttempt, Page } from "../storage.js";
import type { Delivery, DeliveryAttempt, DeliveryStatus, JsonObject } from "../types.js";
import { notFound } from "../../errors.js";
import { afterAttempt, afterRelease, MANUAL, originOf, redelivery, type DeliveryState, type ManualRequest } from "../domain/delivery-states.js";
import { transaction, type PgClient, type PgPool, type PgQueryable } from "./database.js";
import { iso, lenientJsonParam } from "./json.js";
import { QueryParams } from "./query-params.js";

interface DeliveryRow {
  seq: number;
  delivery_id: string;
  run_id: string;
  thread_id: string | null;
  url: string;
  origin: string;
  payload: JsonObject;
  status: DeliveryStatus;
  attempt_count: number;
  automatic_attempts: number;
  manual_requested: ManualRequest;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
  lease_id: string | null;
}

interface AttemptRow extends Omit<DeliveryAttempt, "started_at"> {
  started_at: Date;
}

const COLUMNS =
  "seq, delivery_id, run_id, thread_id, url, origin, payload, status, attempt_count, automatic_attempts, manual_requested, next_attempt_at, created_at, updated_at, lease_id";

/** The key of the transaction-level advisory lock delivery claims take (the migration lock's is 7_401_153_289). */
const CLAIM_LOCK = 7_401_153_290;

function fromRow(row: DeliveryRow): Delivery {
  return {
    delivery_id: row.delivery_id,
    run_id: row.run_id,
    thread_id: row.thread_id,
    url: row.url,
    payload: row.payload,
    status: row.status,
    attempt_count: row.attempt_count,
    automatic_attempts: row.automatic_attempts,
    manual_requested: row.manual_requested !== MANUAL.none,
    next_attempt_at: iso(row.next_attempt_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * Text a receiver sent back (an error, a response excerpt), storable whatever it holds: PostgreSQL
 * text cannot hold the NUL character, and an attempt's record must not fail on it (the claim that
 * records it would fail with it, again and again). NUL becomes U+FFFD, the replacement character.
 */
function receivedText(text: string | null): string | null {
  return text === null ? null : text.replaceAll("\u0000", "\ufffd");
}

/** The webhook outbox row of a finished run; called inside the run's finishing transaction. */
export async function insertDelivery(
  db: PgQueryable,
  input: { delivery_id?: string; run_id: string; thread_id: string | null; url: string; payload: JsonObject },
  now: Date,
): Promise<string> {
  const deliveryId = input.delivery_id ?? randomUUID();
  await db.query(
    `INSERT INTO webhook_deliveries (delivery_id, run_id, thread_id, url, origin, payload, status, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'pending', $7, $7, $7)`,
    // The payload is the run's outcome, written whatever it holds: the run's end must be recorded.
    [deliveryId, input.run_id, input.thread_id, input.url, originOf(input.url), lenientJsonParam(input.payload), now.toISOString()],
  );
  return deliveryId;
}

/** One attempt's record with the state it leaves the delivery in. */
interface AttemptRecord {
  delivery_id: string;
  attempt: DeliveryAttempt;
  state: DeliveryState;
}

/**
 * Records attempts, one statement for all of them: each an attempts row, and its delivery's next
 * state, counts and released lease. The rows are locked by the caller.
 */
async function writeAttempts(client: PgClient, records: readonly AttemptRecord[], now: Date): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(read: (record: AttemptRecord) => T) => records.map(read);
  await client.query(
    `WITH given AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::float8[], $6::int[], $7::text[], $8::text[],
                            $9::text[], $10::timestamptz[], $11::smallint[])
         AS g (delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt, status, next_attempt_at, manual_requested)
     ), attempts AS (
       INSERT INTO webhook_attempts (delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt)
       SELECT delivery_id, attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt FROM given
     )
     UPDATE webhook_deliveries d SET status = g.status, next_attempt_at = g.next_attempt_at, manual_requested = g.manual_requested,
       attempt_count = g.attempt, automatic_attempts = d.automatic_attempts + (g.trigger = 'automatic')::int,
       lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL, updated_at = $12
     FROM given g WHERE d.delivery_id = g.delivery_id`,
    [
      column((r) => r.delivery_id),
      column((r) => r.attempt.attempt),
      column((r) => r.attempt.trigger),
      column((r) => r.attempt.started_at),
      column((r) => r.attempt.duration_ms),
      column((r) => r.attempt.status_code),
      column((r) => receivedText(r.attempt.error)),
      column((r) => receivedText(r.attempt.response_excerpt)),
      column((r) => r.state.status),
      column((r) => r.state.next_attempt_at?.toISOString() ?? null),
      column((r) => r.state.manual_requested),
      now.toISOString(),
    ],
  );
}

/** Writes deliveries' next states (and releases their leases, with `releaseLease`); the rows are locked by the caller. */
async function writeStates(
  client: PgClient,
  states: readonly { delivery_id: string; state: DeliveryState }[],
  now: Date,
  releaseLease: boolean,
): Promise<void> {
  if (states.length === 0) return;
  const lease = releaseLease ? ", lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL" : "";
  await client.query(
    `UPDATE webhook_deliveries d SET status = g.status, next_attempt_at = g.next_attempt_at, manual_requested = g.manual_requested,
       updated_at = $5${lease}
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::smallint[]) AS g (delivery_id, status, next_attempt_at, manual_requested)
     WHERE d.delivery_id = g.delivery_id`,
    [
      states.map((s) => s.delivery_id),
      states.map((s) => s.state.status),
      states.map((s) => s.state.next_attempt_at?.toISOString() ?? null),
      states.map((s) => s.state.manual_requested),
      now.toISOString(),
    ],
  );
}

/**
 * Each origin's oldest due deliveries that nobody holds (unleased, or their lease lapsed), up to
 * the origin's free slots, then the oldest due of them all, leased to the claimer. Free slots are
 * counted over the leases every process holds, in the rows. The origins come from a skip-scan of
 * webhook_deliveries_origin_due (one seek per origin with pending deliveries, however long its
 * backlog). Rows locked by a concurrent writer (a redelivery, a record) are skipped, not waited for.
 */
const CLAIM_SQL = `
WITH RECURSIVE origins (origin) AS (
  SELECT min(origin) FROM webhook_deliveries WHERE status = 'pending'
  UNION ALL
  SELECT (SELECT min(d.origin) FROM webhook_deliveries d WHERE d.status = 'pending' AND d.origin > o.origin)
  FROM origins o WHERE o.origin IS NOT NULL
), busy AS (
  SELECT origin, count(*) AS n FROM webhook_deliveries WHERE lease_id IS NOT NULL AND lease_expires_at > now() GROUP BY origin
), picked AS (
  SELECT c.seq, c.next_attempt_at FROM origins o
  LEFT JOIN busy b ON b.origin = o.origin
  CROSS JOIN LATERAL (
    SELECT d.seq, d.next_attempt_at FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.origin = o.origin AND d.next_attempt_at <= $1
      AND (d.lease_id IS NULL OR d.lease_expires_at <= now())
    ORDER BY d.next_attempt_at, d.seq
    LIMIT greatest(0, least($2::int, $3::int - coalesce(b.n, 0)))
    FOR UPDATE OF d SKIP LOCKED
  ) c
  WHERE o.origin IS NOT NULL
  ORDER BY c.next_attempt_at, c.seq
  LIMIT $2
)
UPDATE webhook_deliveries d SET lease_owner = $4, lease_id = gen_random_uuid()::text, lease_expires_at = now() + $5 * interval '1 millisecond'
FROM picked WHERE d.seq = picked.seq
RETURNING ${COLUMNS.split(", ").map((column) => `d.${column}`).join(", ")}`;

/**
 * The webhook outbox on PostgreSQL. Leases live in the rows, so any number of processes send:
 * a claim skips deliveries another process holds, counts them against their origin's limit, and
 * an attempt's record is fenced by the lease it was made under.
 */
export class PostgresDeliveries implements DeliveryRepository {
  constructor(private readonly pool: PgPool) {}

  async claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    if (claim.finished.length === 0 && claim.limit <= 0) return [];
    const rows = await transaction(this.pool, async (client) => {
      await this.record(client, claim.finished, claim.now);
      if (claim.limit <= 0) return [];
      // Claimers take turns: each counts the origins' leases after the one before it committed its own,
      // so two cannot both take an origin's last slot. Held to the commit; claims are short.
      await client.query("SELECT pg_advisory_xact_lock($1)", [CLAIM_LOCK]);
      const claimed = await client.query<DeliveryRow>(CLAIM_SQL, [
        claim.now.toISOString(),
        claim.limit,
        claim.perOrigin,
        claim.lease.owner,
        claim.lease.leaseMs,
      ]);
      return claimed.rows;
    });
    // UPDATE ... RETURNING keeps no order: oldest due first, as the SQLite side answers.
    rows.sort((a, b) => a.next_attempt_at!.getTime() - b.next_attempt_at!.getTime() || a.seq - b.seq);
    return rows.map((row) => ({ ...fromRow(row), origin: row.origin, lease_id: row.lease_id! }));
  }

  /**
   * Records finished attempts, fenced: one whose lease was released, or lapsed and was claimed by
   * someone else, is dropped (that claimer's attempt is the one recorded).
   */
  private async record(client: PgClient, finished: readonly FinishedAttempt[], now: Date): Promise<void> {
    if (finished.length === 0) return;
    const { rows } = await client.query<{ delivery_id: string; lease_id: string | null; manual_requested: ManualRequest }>(
      "SELECT delivery_id, lease_id, manual_requested FROM webhook_deliveries WHERE delivery_id = ANY($1::text[]) FOR UPDATE",
      [finished.map((attempt) => attempt.delivery_id)],
    );
    const held = new Map(rows.map((row) => [row.delivery_id, row]));
    const records: AttemptRecord[] = [];
    for (const { delivery_id, lease_id, attempt, next } of finished) {
      const row = held.get(delivery_id);
      if (row?.lease_id !== lease_id) continue;
      // Recording releases the lease: a second record under it in this batch is dropped too.
      held.delete(delivery_id);
      records.push({ delivery_id, attempt, state: afterAttempt(row.manual_requested, next, now) });
    }
    await writeAttempts(client, records, now);
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, next: FinishedAttempt["next"]): Promise<void> {
    const now = new Date();
    await transaction(this.pool, async (client) => {
      const { rows } = await client.query<{ manual_requested: ManualRequest }>(
        "SELECT manual_requested FROM webhook_deliveries WHERE delivery_id = $1 FOR UPDATE",
        [deliveryId],
      );
      if (!rows[0]) throw notFound("delivery", deliveryId);
      await writeAttempts(client, [{ delivery_id: deliveryId, attempt, state: afterAttempt(rows[0].manual_requested, next, now) }], now);
    });
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ at: Date | null }>(
      "SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at > $1",
      [after.toISOString()],
    );
    return rows[0].at ?? undefined;
  }

  async releaseLeases(owner?: string): Promise<void> {
    const now = new Date();
    await transaction(this.pool, async (client) => {
      const { rows } = await client.query<Pick<DeliveryRow, "delivery_id" | "status" | "next_attempt_at" | "manual_requested">>(
        `SELECT delivery_id, status, next_attempt_at, manual_requested FROM webhook_deliveries
         WHERE lease_id IS NOT NULL AND ($1::text IS NULL OR lease_owner = $1) FOR UPDATE`,
        [owner ?? null],
      );
      const states = rows.map((row) => ({
        delivery_id: row.delivery_id,
        state: afterRelease(row.manual_requested, now) ?? { status: row.status, next_attempt_at: row.next_attempt_at, manual_requested: row.manual_requested },
      }));
      await writeStates(client, states, now, true);
    });
  }

  async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await this.pool.query<DeliveryRow>(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE delivery_id = $1`, [deliveryId]);
    if (!rows[0]) return undefined;
    const attempts = await this.pool.query<AttemptRow>(
      `SELECT attempt, trigger, started_at, duration_ms, status_code, error, response_excerpt
       FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [deliveryId],
    );
    return { ...fromRow(rows[0]), attempts: attempts.rows.map((attempt) => ({ ...attempt, started_at: iso(attempt.started_at) })) };
  }

  async list(query: Page & { run_id?: string; thread_id?: string; status?: DeliveryStatus }): Promise<Delivery[]> {
    const params = new QueryParams();
    for (const column of ["run_id", "thread_id", "status"] as const) {
      if (query[column] !== undefined) params.where((value) => `${column} = ${value}`, query[column]);
    }
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${COLUMNS} FROM webhook_deliveries ${params.whereClause()} ORDER BY seq DESC
       LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    return rows.map(fromRow);
  }

  async redeliver(deliveryId: string): Promise<boolean> {
    const now = new Date();
    return transaction(this.pool, async (client) => {
      const { rows } = await client.query<{ in_attempt: boolean }>(
        `SELECT lease_id IS NOT NULL AND lease_expires_at > now() AS in_attempt FROM webhook_deliveries
         WHERE delivery_id = $1 FOR UPDATE`,
        [deliveryId],
      );
      if (!rows[0]) return false;
      const asked = redelivery(rows[0].in_attempt, now);
      if (asked.kind === "now") {
        await writeStates(client, [{ delivery_id: deliveryId, state: asked.state }], now, false);
      } else {
        await client.query(`UPDATE webhook_deliveries SET manual_requested = ${MANUAL.afterAttempt}, updated_at = $2 WHERE delivery_id = $1`, [
          deliveryId,
          now.toISOString(),
        ]);
      }
      return true;
    });
  }
}
