// Linux /proc readers: which process of a spawned tree serves a port, its memory, CPU use.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { nowMs } from "./clock.js";

function readText(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function parentOf(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name sits in parentheses and may hold spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[1]);
}

/** `root` and all its descendants that are alive now. */
export function processTree(root) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(entry);
    if (ppid === undefined) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [];
  const pending = [root];
  while (pending.length > 0 && tree.length < 10_000) {
    const pid = pending.pop();
    if (readText(`/proc/${pid}/stat`) === undefined) continue;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function listeningInodes(port) {
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = readText(file);
    if (!text) continue;
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "0A") continue; // 0A: LISTEN
      if (parseInt(cols[1].split(":")[1], 16) === port) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process in `root`'s tree that holds the listening socket of `port`; `root` when none is found. */
export function listeningPid(root, port) {
  const inodes = listeningInodes(port);
  for (const pid of processTree(root)) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = "";
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1])) return pid;
    }
  }
  return root;
}

function statusKiB(pid, key) {
  const text = readText(`/proc/${pid}/status`);
  const match = text && new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

/** VmRSS and VmHWM (peak RSS) of one process in MiB, plus the RSS of its whole tree. */
export function memoryOf(pid, treeRoot = pid) {
  const rss = statusKiB(pid, "VmRSS");
  if (rss === undefined) throw new Error(`cannot read /proc/${pid}/status (process gone, or not Linux)`);
  const treeKiB = processTree(treeRoot).reduce((sum, p) => sum + (statusKiB(p, "VmRSS") ?? 0), 0);
  return { rssMiB: rss / 1024, peakMiB: (statusKiB(pid, "VmHWM") ?? rss) / 1024, treeRssMiB: treeKiB / 1024 };
}

// USER_HZ: /proc reports CPU time in ticks of 1/100 s on every Linux architecture Node runs on.
const TICKS_PER_SECOND = 100;

/** User + system ticks of every thread of `pid` (graph worker threads included). */
function processTicks(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
}

/** The machine's busy and total ticks over all cores (/proc/stat's first line; idle and iowait are not busy). */
function machineTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readText("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/**
 * Starts measuring CPU use; the function returned ends it: the fraction of all cores that was busy
 * (whoever used them: the servers, the harness, other work on the machine), and per group of
 * `groups` (name → a function listing its pids, called at the start) the CPU seconds its processes
 * used. A process that starts in between is not counted.
 */
export function cpuMeter(groups) {
  const machine = machineTicks();
  const before = Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, processTicks(pid)]))]);
  const started = nowMs();
  return () => {
    const end = machineTicks();
    const seconds = Object.fromEntries(
      before.map(([name, ticks]) => [name, [...ticks].reduce((sum, [pid, t0]) => sum + Math.max(0, processTicks(pid) - t0), 0) / TICKS_PER_SECOND]),
    );
    return { wallSeconds: (nowMs() - started) / 1000, machineBusy: (end.busy - machine.busy) / Math.max(1, end.total - machine.total), seconds };
  };
}

/** Pids whose command line matches `pattern` (e.g. PostgreSQL backends, which name their database there). */
export function pidsMatching(pattern) {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && pattern.test((readText(`/proc/${entry}/cmdline`) ?? "").replaceAll("\0", " ")))
    .map(Number);
}

/**
 * What a server's CPU use is counted in: its process trees (`server`: one, or each process of a
 * scaled-out deployment), plus the deployment's own `services` (its PostgreSQL backends, Redis).
 */
export function cpuGroups(server) {
  const roots = (server.members ?? [server]).map((m) => m.rootPid);
  return { server: () => roots.flatMap((root) => processTree(root)), ...server.services };
}
