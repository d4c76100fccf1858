// Linux /proc readers: which process of a spawned tree serves a port, and its memory.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

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
