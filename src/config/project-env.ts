/** Variables to set (a string) or unset (null) in an environment. */
export type EnvChanges = Record<string, string | null>;

/**
 * The values of langgraph.json's "env" in the process environment. They apply unless the
 * environment already sets them (as on the official server); a later `apply` (a dev reload)
 * updates the ones it set and unsets those no longer listed, never a variable it found set.
 */
export class ProjectEnv {
  private readonly inherited: Set<string>;
  private applied: Record<string, string> = {};

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {
    this.inherited = new Set(Object.keys(env));
  }

  /** Applies `values` and answers what changed (for graph worker threads, which hold their own copy). */
  apply(values: Record<string, string>): EnvChanges {
    const changes: EnvChanges = {};
    for (const key of Object.keys(this.applied)) if (!(key in values)) changes[key] = null;
    for (const [key, value] of Object.entries(values)) {
      if (!this.inherited.has(key) && this.applied[key] !== value) changes[key] = value;
    }
    this.applied = Object.fromEntries(Object.entries(values).filter(([key]) => !this.inherited.has(key)));
    applyEnvChanges(changes, this.env);
    return changes;
  }
}

export function applyEnvChanges(changes: EnvChanges, env: NodeJS.ProcessEnv = process.env): void {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
}
