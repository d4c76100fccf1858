import { openMemoryBus } from "../../src/bus/memory/index.js";
import { busBehaviour } from "./bus-behaviour.js";

busBehaviour("memory bus", async (retention) => openMemoryBus(retention));
