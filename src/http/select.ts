/** Keeps only the `select`ed fields of each record (all of them without `select`). */
export function selectFields<T extends object>(records: T[], select: readonly string[] | undefined): Partial<T>[] {
  if (!select || select.length === 0) return records;
  return records.map((record) =>
    Object.fromEntries(select.filter((key) => key in record).map((key) => [key, (record as Record<string, unknown>)[key]])) as Partial<T>,
  );
}
