import os from "node:os";
import { readFileSync } from "node:fs";

function osName() {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (match) return `${match[1]} (${os.type()} ${os.release()})`;
  } catch {
    // not Linux: fall through to os.type()
  }
  return `${os.type()} ${os.release()}`;
}

/** What the figures were measured on; printed with them and stored in the JSON. */
export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osName(),
    arch: os.arch(),
    // Other work on the machine competes with both servers and the client; noted with the figures.
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function formatMachine(m) {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os} ${m.arch}; load average ${m.loadAverage.join(" ")} at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(" ")} at the end` : ""}`;
}
