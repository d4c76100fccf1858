/**
 * A store search's `filter`, parsed once into conditions each dialect writes as SQL. Comparisons
 * are JSON-typed: a field holding 1, true or "1" matches only an operand of its own type, strings
 * order by code point, and `$ne` also matches items without the field.
 */
import { StoreRequestError, validateStoreJson, validateStoreText } from "./store.js";

/** An operand of equality, by JSON type; objects and arrays as their JSON text. */
export type EqualityOperand =
  | { type: "null" }
  | { type: "boolean"; value: boolean }
  | { type: "number"; value: number }
  | { type: "string"; value: string }
  | { type: "structure"; json: string };

type ComparisonOperator = ">" | ">=" | "<" | "<=";

/** One condition on a top-level field of the item's value. */
export type FilterCondition =
  | { kind: "equals"; field: string; negate: boolean; operand: EqualityOperand }
  | { kind: "compare"; field: string; operator: ComparisonOperator; operand: number | string };

/** Bounds the SQL one filter builds (SQLite's expression depth, PostgreSQL's parameter count). */
const MAX_FILTER_CONDITIONS = 100;

const COMPARISONS: Readonly<Record<string, ComparisonOperator>> = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" };
const OPERATORS = new Set(["$eq", "$ne", ...Object.keys(COMPARISONS)]);

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => OPERATORS.has(key));
}

function finite(value: number, field: string): number {
  if (!Number.isFinite(value)) throw new StoreRequestError(`${field}: numbers must be finite`);
  return value;
}

function equalityOperand(operand: unknown, field: string, operator: string): EqualityOperand {
  if (operand === null) return { type: "null" };
  switch (typeof operand) {
    case "boolean":
      return { type: "boolean", value: operand };
    case "number":
      return { type: "number", value: finite(operand, field) };
    case "string":
      validateStoreText(operand, field);
      return { type: "string", value: operand };
    case "object":
      validateStoreJson(operand, field);
      return { type: "structure", json: JSON.stringify(operand) };
    default:
      throw new StoreRequestError(`${field}: ${operator} needs a JSON value`);
  }
}

function comparisonOperand(operand: unknown, field: string, operator: string): number | string {
  if (typeof operand === "number") return finite(operand, field);
  if (typeof operand === "string") {
    validateStoreText(operand, field);
    return operand;
  }
  throw new StoreRequestError(`${field}: ${operator} needs a number or a string`);
}

function condition(field: string, operator: string, operand: unknown): FilterCondition {
  const name = `filter.${field}`;
  const comparison = COMPARISONS[operator];
  if (comparison) return { kind: "compare", field, operator: comparison, operand: comparisonOperand(operand, name, operator) };
  return { kind: "equals", field, negate: operator === "$ne", operand: equalityOperand(operand, name, operator) };
}

/**
 * `{field: value}` is equality; `{field: {$op: operand, ...}}` applies each operator (an object
 * whose keys are not all operators is an equality operand). Fields left undefined are ignored.
 */
export function parseStoreFilter(filter: Record<string, unknown> | undefined): FilterCondition[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== "object" || Array.isArray(filter)) throw new StoreRequestError("filter: must be an object");
  const conditions: FilterCondition[] = [];
  for (const [field, expected] of Object.entries(filter)) {
    if (expected === undefined) continue;
    validateStoreText(field, "filter");
    if (isOperatorObject(expected)) {
      for (const [operator, operand] of Object.entries(expected)) conditions.push(condition(field, operator, operand));
    } else {
      conditions.push(condition(field, "$eq", expected));
    }
    if (conditions.length > MAX_FILTER_CONDITIONS) throw new StoreRequestError(`filter: at most ${MAX_FILTER_CONDITIONS} conditions`);
  }
  return conditions;
}
