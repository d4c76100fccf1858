// Figures that need hookgraph parts the official dev server lacks. Each placeholder reports
// "not available yet" until the storage seeding it needs exists; the official server gets "n/a".

/** Thrown (not an error of the server under test) when a figure cannot be measured yet. */
export class NotAvailableYet extends Error {}

/** (5) Webhook delivery engine throughput, draining a backlog pre-filled straight into storage. */
export async function measureWebhookBacklog() {
  throw new NotAvailableYet("not available yet: needs a way to pre-fill hookgraph's webhook outbox in storage");
}

/** (5b) Cron firing lag: scheduled time → run created, over many crons due at once. */
export async function measureCronLag() {
  throw new NotAvailableYet("not available yet: needs hookgraph's cron storage seeding");
}

/** (6) runs.wait latency with a large stored history of threads, runs and checkpoints. */
export async function measureStoredScale() {
  throw new NotAvailableYet("not available yet: needs hookgraph's storage seeding for a large history");
}
