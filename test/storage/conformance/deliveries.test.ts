import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, test } from "vitest";
import type { ClaimedDelivery, DeliveryClaim, FinishedAttempt, Storage } from "../../../src/storage/storage.js";
import { describeStorage, type StorageUnderTest } from "./backends.js";
import { attempt, createDelivery, drainQueue, lease } from "./queue-fixtures.js";

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const deliveryIds = (deliveries: readonly ClaimedDelivery[]) => deliveries.map((delivery) => delivery.delivery_id);
const later = (ms: number) => new Date(Date.now() + ms);

/** A second process on PostgreSQL; on the embedded database (one owner) the same storage plays both parts. */
const secondProcess = (backend: StorageUnderTest): Promise<Storage> =>
  backend.dialect === "postgres" ? backend.another() : Promise.resolve(backend.storage());

function claim(storage: Storage, options: Partial<DeliveryClaim> = {}): Promise<ClaimedDelivery[]> {
  return storage.deliveries.claimDue({ finished: [], limit: 100, now: new Date(), lease: lease(), perOrigin: 100, busy: new Map(), ...options });
}

/** The record of a claimed delivery's next attempt. */
function finished(delivery: ClaimedDelivery, statusCode: number, next: FinishedAttempt["next"]): FinishedAttempt {
  const trigger = delivery.manual_requested ? "manual" : "automatic";
  return { delivery_id: delivery.delivery_id, lease_id: delivery.lease_id, attempt: attempt(delivery.attempt_count + 1, statusCode, trigger), next };
}

/** Deliveries in flight per origin, as the delivery worker counts its own. */
function busy(held: readonly ClaimedDelivery[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { origin } of held) counts.set(origin, (counts.get(origin) ?? 0) + 1);
  return counts;
}

describeStorage("webhook deliveries", (backend) => {
  const storage = () => backend.storage();
  afterEach(() => drainQueue(storage()));

  test("claims due deliveries oldest first, each under a lease of its own: none is claimed again while leased", async () => {
    const a = await createDelivery(storage(), "http://a.test/hook?token=1");
    const b = await createDelivery(storage(), "http://b.test/hook");
    const first = await claim(storage());
    expect(deliveryIds(first)).toEqual([a, b]);
    expect(first[0]).toMatchObject({
      delivery_id: a,
      url: "http://a.test/hook?token=1",
      origin: "http://a.test",
      status: "pending",
      attempt_count: 0,
      automatic_attempts: 0,
      manual_requested: false,
      next_attempt_at: expect.stringMatching(ISO_MS_UTC),
      lease_id: expect.any(String),
    });
    expect(first[0].lease_id).not.toBe(first[1].lease_id);
    expect(await claim(storage())).toEqual([]);

    // A lease that lapsed (a dead process's) is claimable again, under a new lease.
    const c = await createDelivery(storage(), "http://c.test/hook");
    const [lapsed] = await claim(storage(), { lease: lease("test:1:dead", 0) });
    const [again] = await claim(storage());
    expect([lapsed.delivery_id, again.delivery_id]).toEqual([c, c]);
    expect(again.lease_id).not.toBe(lapsed.lease_id);
  });

  test("takes at most perOrigin deliveries of an origin in flight, and respects the limit across origins", async () => {
    const slow = [];
    for (let i = 0; i < 3; i++) slow.push(await createDelivery(storage(), `http://slow.test/${i}`));
    const fast = [await createDelivery(storage(), "http://fast.test/1"), await createDelivery(storage(), "HTTP://FAST.test:80/2")];
    const held = await claim(storage(), { perOrigin: 2 });
    expect(deliveryIds(held)).toEqual([slow[0], slow[1], ...fast]);
    expect(new Set(held.map((delivery) => delivery.origin))).toEqual(new Set(["http://slow.test", "http://fast.test"]));
    expect(await claim(storage(), { perOrigin: 2, busy: busy(held) })).toEqual([]);

    // One slow attempt ends: its slot goes to the next slow delivery.
    const done = held.shift()!;
    const next = await claim(storage(), { perOrigin: 2, busy: busy(held), finished: [finished(done, 200, { status: "succeeded" })] });
    expect(deliveryIds(next)).toEqual([slow[2]]);
    expect(await claim(storage(), { limit: 0, finished: [...held, ...next].map((d) => finished(d, 200, { status: "succeeded" })) })).toEqual([]);

    for (let i = 0; i < 6; i++) await createDelivery(storage(), `http://o${i % 3}.test/`);
    const two = await claim(storage(), { limit: 2, perOrigin: 5 });
    expect(two.map((d) => d.origin)).toEqual(["http://o0.test", "http://o1.test"]);
    expect((await claim(storage(), { limit: 10, perOrigin: 1, busy: busy(two) })).map((d) => d.origin)).toEqual(["http://o2.test"]);
  });

  test("an attempt's record counts it and schedules the next one, or ends the delivery", async () => {
    const id = await createDelivery(storage(), "http://a.test/");
    const [claimed] = await claim(storage());
    const retryAt = later(5_000);
    await claim(storage(), { limit: 0, finished: [finished(claimed, 503, { status: "pending", next_attempt_at: retryAt })] });
    expect(await storage().deliveries.get(id)).toMatchObject({
      status: "pending",
      attempt_count: 1,
      automatic_attempts: 1,
      next_attempt_at: retryAt.toISOString(),
      attempts: [{ attempt: 1, trigger: "automatic", status_code: 503, error: "HTTP 503", response_excerpt: "try later", duration_ms: 2.5 }],
    });
    expect(await claim(storage())).toEqual([]);
    expect((await storage().deliveries.nextDue(new Date()))?.getTime()).toBe(retryAt.getTime());
    const [retry] = await claim(storage(), { now: retryAt });
    expect(retry).toMatchObject({ delivery_id: id, attempt_count: 1, automatic_attempts: 1 });

    await storage().deliveries.recordAttempt(id, attempt(2, 410), { status: "failed" });
    const stored = await storage().deliveries.get(id);
    expect(stored).toMatchObject({ status: "failed", attempt_count: 2, automatic_attempts: 2, next_attempt_at: null });
    expect(stored!.attempts.map((a) => [a.attempt, a.status_code])).toEqual([[1, 503], [2, 410]]);
    expect(stored).not.toHaveProperty("origin");
    expect(stored).not.toHaveProperty("lease_id");
    expect(await storage().deliveries.nextDue(new Date())).toBeUndefined();
    await expect(storage().deliveries.recordAttempt(randomUUID(), attempt(1, 200), { status: "succeeded" })).rejects.toMatchObject({ statusCode: 404 });
  });

  test("an attempt recorded under a lease that was lost is dropped: the new holder's attempt is the one recorded", async () => {
    const other = await secondProcess(backend);
    const id = await createDelivery(storage(), "http://a.test/");
    const [stale] = await claim(storage(), { lease: lease("test:1:paused", 0) });
    const [current] = await claim(other, { lease: lease("test:2:worker") });
    expect(current.delivery_id).toBe(id);

    await claim(storage(), { limit: 0, finished: [finished(stale, 200, { status: "succeeded" })] });
    expect(await storage().deliveries.get(id)).toMatchObject({ status: "pending", attempt_count: 0, attempts: [] });
    const record = finished(current, 503, { status: "pending", next_attempt_at: later(60_000) });
    // Sent twice (a batch retried after a lost reply): recorded once.
    await claim(other, { limit: 0, finished: [record, record] });
    await claim(other, { limit: 0, finished: [record] });
    expect((await storage().deliveries.get(id))!.attempts).toHaveLength(1);
    expect(await storage().deliveries.get(id)).toMatchObject({ status: "pending", attempt_count: 1 });
  });

  test("a redelivery makes a finished delivery due at once as a manual attempt; unknown deliveries answer false", async () => {
    const id = await createDelivery(storage(), "http://a.test/");
    const [first] = await claim(storage());
    await claim(storage(), { limit: 0, finished: [finished(first, 410, { status: "failed" })] });
    expect(await storage().deliveries.redeliver(id)).toBe(true);
    const [manual] = await claim(storage());
    expect(manual).toMatchObject({ delivery_id: id, status: "pending", manual_requested: true, attempt_count: 1 });
    await claim(storage(), { limit: 0, finished: [finished(manual, 200, { status: "succeeded" })] });
    const stored = await storage().deliveries.get(id);
    expect(stored).toMatchObject({ status: "succeeded", manual_requested: false, attempt_count: 2, automatic_attempts: 1 });
    expect(stored!.attempts.map((a) => a.trigger)).toEqual(["automatic", "manual"]);
    expect(await storage().deliveries.redeliver(randomUUID())).toBe(false);
  });

  test("a redelivery asked for during an attempt is made right after it, never beside it", async () => {
    const id = await createDelivery(storage(), "http://a.test/");
    const [inFlight] = await claim(storage());
    expect(await storage().deliveries.redeliver(id)).toBe(true);
    expect(await claim(storage())).toEqual([]);
    // The attempt's record makes it due at once: the same claim takes it again, as a manual attempt.
    const [next] = await claim(storage(), { finished: [finished(inFlight, 200, { status: "succeeded" })] });
    expect(next).toMatchObject({ delivery_id: id, manual_requested: true, attempt_count: 1, status: "pending" });
  });

  test("releaseLeases(owner) hands that owner's deliveries back at once; releaseLeases() every lease", async () => {
    const mine = await createDelivery(storage(), "http://a.test/");
    const theirs = await createDelivery(storage(), "http://b.test/");
    const [held] = await claim(storage(), { limit: 1, lease: lease("test:1:stopping") });
    await claim(storage(), { limit: 1, lease: lease("test:2:running") });
    expect(held.delivery_id).toBe(mine);
    // Asked for during the cut-short attempt: the next attempt, at once, is the manual one.
    await storage().deliveries.redeliver(mine);
    await storage().deliveries.releaseLeases("test:1:stopping");
    const [again] = await claim(storage());
    expect(again).toMatchObject({ delivery_id: mine, manual_requested: true });
    await storage().deliveries.releaseLeases();
    expect(deliveryIds(await claim(storage())).sort()).toEqual([mine, theirs].sort());
  });

  test("list pages deliveries newest first with filters", async () => {
    const first = await createDelivery(storage(), "http://a.test/");
    const second = await createDelivery(storage(), "http://b.test/");
    const page = (query: object) => storage().deliveries.list({ limit: 10, offset: 0, ...query });
    expect((await page({})).slice(0, 2).map((d) => d.delivery_id)).toEqual([second, first]);
    const { run_id } = (await storage().deliveries.get(first))!;
    expect((await page({ run_id })).map((d) => d.delivery_id)).toEqual([first]);
    expect((await page({ run_id, status: "failed" }))).toEqual([]);
    expect(Object.keys((await page({ run_id }))[0])).not.toContain("lease_id");
  });

  test("what a receiver sent back is recorded whatever it holds", async () => {
    const id = await createDelivery(storage(), "http://a.test/");
    const [claimed] = await claim(storage());
    const record = finished(claimed, 500, { status: "failed" });
    record.attempt = { ...record.attempt, error: "HTTP 500: a\u0000b", response_excerpt: "\u0000" };
    await claim(storage(), { limit: 0, finished: [record] });
    const [stored] = (await storage().deliveries.get(id))!.attempts;
    expect(stored.error).toMatch(/^HTTP 500: a.b$/);
    expect(stored.response_excerpt).toHaveLength(1);
  });

  test.runIf(backend.dialect === "postgres")(
    "claimers in several processes together never exceed an origin's limit and never lease one delivery twice",
    async () => {
      const processes = [storage(), await backend.another(), await backend.another(), await backend.another()];
      const origins = ["http://one.test", "http://two.test", "http://three.test"];
      const perOrigin = 2;
      const created = new Set<string>();
      for (let i = 0; i < 36; i++) created.add(await createDelivery(storage(), `${origins[i % origins.length]}/${i}`));
      const inFlight = new Map<string, ClaimedDelivery>();
      const delivered = new Set<string>();
      const violations: string[] = [];
      const work = async (process: Storage, index: number) => {
        let held: ClaimedDelivery[] = [];
        while (delivered.size < created.size) {
          // Some attempts end (a random few), the rest stay in flight across this claim.
          const ending = held.filter(() => Math.random() < 0.6);
          held = held.filter((delivery) => !ending.includes(delivery));
          for (const delivery of ending) {
            inFlight.delete(delivery.delivery_id);
            delivered.add(delivery.delivery_id);
          }
          const claimed = await process.deliveries.claimDue({
            finished: ending.map((delivery) => finished(delivery, 200, { status: "succeeded" })),
            limit: 3,
            now: new Date(),
            lease: lease(`test:${index}:sender`),
            perOrigin,
            busy: busy(held),
          });
          for (const delivery of claimed) {
            if (inFlight.has(delivery.delivery_id) || delivered.has(delivery.delivery_id)) violations.push(`leased twice: ${delivery.delivery_id}`);
            inFlight.set(delivery.delivery_id, delivery);
          }
          for (const origin of origins) {
            const count = [...inFlight.values()].filter((delivery) => delivery.origin === origin).length;
            if (count > perOrigin) violations.push(`${count} in flight to ${origin}`);
          }
          held.push(...claimed);
          await sleep(Math.random() * 3);
        }
      };
      await Promise.all(processes.map(work));
      expect(violations).toEqual([]);
      expect(delivered).toEqual(created);
      for (const id of created) expect((await storage().deliveries.get(id))!.attempts).toHaveLength(1);
    },
    60_000,
  );
});
