import type { FastifyError, FastifyInstance } from "fastify";
import { HookgraphError } from "../errors.js";

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `body.limit must be <= 1000`: the field by its dotted path, then the rule. */
function describeValidation(context: string | undefined, issues: ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const path = [context ?? "body", ...issue.instancePath.split("/").filter(Boolean)].join(".");
      if (issue.keyword === "required") return `${path}.${String(issue.params.missingProperty)} is required`;
      if (issue.keyword === "additionalProperties") {
        return `${path}.${String(issue.params.additionalProperty)} is not a known field`;
      }
      if (issue.keyword === "enum") {
        return `${path} must be one of ${(issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      }
      return `${path} ${issue.message ?? "is invalid"}`;
    })
    .join("; ");
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
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
      return reply.status(422).send({ detail: `body is not valid JSON: ${error.message}` });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ detail: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ detail: "internal server error" });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ detail: `no route for ${request.method} ${request.url.split("?")[0]}` }));
}
