import type { Bus } from "../bus.js";
import { MemoryRunStreams, type StreamRetention } from "./run-streams.js";
import { MemorySignals } from "./signals.js";

/** The embedded mode's bus: one process, everything in memory, always reachable. */
export function openMemoryBus(retention?: StreamRetention): Bus {
  const streams = new MemoryRunStreams(retention);
  const signals = new MemorySignals();
  return {
    streams,
    signals,
    ping: async () => {},
    close: async () => {
      streams.closeAll();
      await signals.close();
    },
  };
}
