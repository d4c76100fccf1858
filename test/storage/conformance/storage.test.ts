import { expect, test } from "vitest";
import { describeStorage } from "./backends.js";

describeStorage("storage", (backend) => {
  test("ping answers while the database is usable", async () => {
    await expect(backend.storage().ping()).resolves.toBeUndefined();
  });

  test.runIf(backend.dialect === "postgres")("after close, ping fails; closing again is harmless", async () => {
    const other = await backend.another();
    await other.ping();
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(other.ping()).rejects.toThrow();
    // The other storage on the database is untouched.
    await backend.storage().ping();
  });
});
