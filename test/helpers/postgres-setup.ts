import { afterAll } from "vitest";
import { dropSharedBackends } from "./backend.js";

// Each file's databases and Redis keys go when the file ends, also those of servers restarted on a kept data dir.
afterAll(() => dropSharedBackends());
