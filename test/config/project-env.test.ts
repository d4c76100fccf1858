import { describe, expect, test } from "vitest";
import { ProjectEnv } from "../../src/config/project-env.js";

describe("ProjectEnv", () => {
  test("applies values the environment does not set, then updates and unsets only those", () => {
    const env: NodeJS.ProcessEnv = { SET_OUTSIDE: "outside" };
    const project = new ProjectEnv(env);
    expect(project.apply({ SET_OUTSIDE: "file", A: "1", B: "2" })).toEqual({ A: "1", B: "2" });
    expect(env).toEqual({ SET_OUTSIDE: "outside", A: "1", B: "2" });

    expect(project.apply({ SET_OUTSIDE: "changed", A: "1", C: "3" })).toEqual({ B: null, C: "3" });
    expect(env).toEqual({ SET_OUTSIDE: "outside", A: "1", C: "3" });
  });
});
