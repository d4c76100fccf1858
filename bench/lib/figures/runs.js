// The run calls the figures share, made through the SDK exactly as a user would.
import { named } from "../client.js";
import { runPool } from "../pool.js";

export const ECHO = "echo";
export const CUSTOM_EVENTS = "custom_events";

/** One stateless run of the echo graph, waited for; checks the echo came back. */
export async function echoWait(client, value) {
  const output = await named("POST /runs/wait (stateless, echo graph)", () => client.runs.wait(null, ECHO, { input: { value } }));
  if (output?.value !== value) {
    throw new Error(`POST /runs/wait returned ${JSON.stringify(output).slice(0, 200)} instead of the echoed input`);
  }
}

/** `total` echo runs with `concurrency` in flight; throws when one fails or time runs out. */
export async function echoWaits(ctx, total, concurrency) {
  const result = await runPool({
    total,
    concurrency,
    deadline: ctx.hardDeadline,
    task: (i) => echoWait(ctx.client, `run-${i}`),
  });
  if (result.error) throw result.error;
  if (result.cutShort) {
    throw new Error(`time budget ran out after ${result.completed} of ${total} runs (concurrency ${concurrency})`);
  }
  return result;
}
