/** What `/ok` and `/metrics` report about the process; the composition root provides it. */
export interface Health {
  /** True from the moment a stop begins: load balancers should send this process nothing new. */
  draining(): boolean;
  /** Each dependency's state; a check that throws reports the dependency down. */
  dependencies: Record<string, () => Promise<void>>;
  metrics: { text(): Promise<string>; contentType: string };
}

export type DependencyState = "ok" | "unavailable";

/** Checks every dependency at once, each bounded by `timeoutMs`. */
export async function checkDependencies(health: Health, timeoutMs = 2_000): Promise<Record<string, DependencyState>> {
  const entries = await Promise.all(
    Object.entries(health.dependencies).map(async ([name, check]): Promise<[string, DependencyState]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), timeoutMs)));
      try {
        await Promise.race([check(), timeout]);
        return [name, "ok"];
      } catch {
        return [name, "unavailable"];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}
