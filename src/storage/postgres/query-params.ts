/**
 * The parameters of one query and its WHERE conditions, numbered `$1, $2, ...` in the order they
 * are added. Only values are bound; condition text is written by the repositories.
 */
export class QueryParams {
  readonly values: unknown[] = [];
  private readonly conditions: string[] = [];

  /** Binds `value`; answers its placeholder (for LIMIT, OFFSET, or a condition). */
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Adds a condition on a bound value: `condition` gets its placeholder. */
  where(condition: (placeholder: string) => string, value: unknown): this {
    this.conditions.push(condition(this.bind(value)));
    return this;
  }

  /** `WHERE ...` with every condition (all must hold), or nothing when there is none. */
  whereClause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(" AND ")}` : "";
  }
}
