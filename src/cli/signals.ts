/**
 * SIGINT/SIGTERM stop gracefully (the queue drains: running runs get the shutdown grace, then are
 * handed back); a second signal exits at once.
 */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`hookgraph: error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
