import type { FastifyError, FastifyInstance } from "fastify";
import { HookgraphError } from "../errors.js";

interface ValidationIssue {
  instancePath: string;
  schemaPath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

function fieldPath(context: string | undefined, issue: ValidationIssue): string {
  return [context ?? "body", ...issue.instancePath.split("/").filter(Boolean)].join(".");
}

function describeIssue(context: string | undefined, issue: ValidationIssue): string {
  const path = fieldPath(context, issue);
  switch (issue.keyword) {
    case "required":
      return `${path}.${String(issue.params.missingProperty)} is required`;
    case "additionalProperties":
      return `${path}.${String(issue.params.additionalProperty)} is not a known field`;
    case "enum":
      return `${path} must be one of ${(issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `${path} must be ${JSON.stringify(issue.params.allowedValue)}`;
    default:
      return `${path} ${issue.message ?? "is invalid"}`;
  }
}

/**
 * An `anyOf` failure comes after one issue per failed branch. A union of literals reads as
 * "must be one of ...", any other union as its branches' rules joined with "or".
 */
function describeUnion(context: string | undefined, union: ValidationIssue, branches: ValidationIssue[]): string {
  const path = fieldPath(context, union);
  if (branches.length > 0 && branches.every((b) => b.keyword === "const" && b.instancePath === union.instancePath)) {
    return `${path} must be one of ${branches.map((b) => JSON.stringify(b.params.allowedValue)).join(", ")}`;
  }
  if (branches.length === 0) return `${path} ${union.message ?? "is invalid"}`;
  return [...new Set(branches.map((b) => describeIssue(context, b)))].join(", or ");
}

/** `body.limit must be <= 1000`: the field by its dotted path, then the rule. */
function describeValidation(context: string | undefined, issues: ValidationIssue[]): string {
  const consumed = new Set<ValidationIssue>();
  const described: string[] = [];
  for (const issue of issues) {
    if (issue.keyword !== "anyOf" && issue.keyword !== "oneOf") continue;
    const prefix = `${issue.schemaPath}/`;
    const branches = issues.filter((other) => other !== issue && !consumed.has(other) && other.schemaPath.startsWith(prefix));
    for (const branch of branches) consumed.add(branch);
    consumed.add(issue);
    described.push(describeUnion(context, issue, branches));
  }
  const rest = issues.filter((issue) => !consumed.has(issue)).map((issue) => describeIssue(context, issue));
  return [...rest, ...described].join("; ");
}

/** One error handler: coded errors keep their status, validation failures are 422 naming the field. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HookgraphError) {
      return reply.status(error.statusCode).send({ detail: error.message });
    }
    if (error.validation) {
      return reply.status(422).send({ detail: describeValidation(error.validationContext, error.validation as ValidationIssue[]) });
    }
    // Fastify's own messages name application/json, which may not be what the request was labelled.
    if (error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return reply.status(422).send({ detail: "body is empty: send a JSON object" });
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY") return reply.status(422).send({ detail: "body is not valid JSON" });
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ detail: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ detail: "internal server error" });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ detail: `no route for ${request.method} ${request.url.split("?")[0]}` }));
}

/**
 * In a route plugin: a request sent without a body validates as `{}`, so endpoints whose fields are
 * all optional (search, count, copy) work with a bare POST, and required fields are named.
 */
export function acceptMissingBody(app: FastifyInstance): void {
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
  });
}
