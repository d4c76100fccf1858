/**
 * Every Redis key and channel name the bus uses, under its prefix (docs/scale-out.md, "Redis
 * keys"). The Lua scripts get the same names spliced in (`lua`), so each is written once.
 */

type Name = (id: string) => string;

export class RedisKeys {
  /** Hash: the run's thread, and `ended` (its end entry's id) once its stream ended. */
  readonly runMeta: Name;
  /** Stream: the run's events, then its `end` entry. */
  readonly runEvents: Name;
  /** Sorted set: the runs opened on the thread, by open time (thread-level joins replay them). */
  readonly threadRuns: Name;
  /** String: how the run ended (JSON `RunEnd`). */
  readonly runEnd: Name;
  /** Channel: the run's live events and end. */
  readonly runChannel: Name;
  /** Channel: the live events of every run on the thread. */
  readonly threadChannel: Name;
  /** String: the last event id given out, so that ids increase across every stream (thread joins merge runs by id). */
  readonly lastEventId: string;
  /** Hash: each writing process's last applied batch number, so that a batch resent after a dropped connection applies once. */
  readonly streamWriters: string;
  /** List: ended runs, oldest end first; with the two below, the retention's count and size bounds. */
  readonly endedStreams: string;
  /** Hash: what each ended run's stream takes in Redis (bytes). */
  readonly endedStreamBytes: string;
  /** String: the sum of `endedStreamBytes`. */
  readonly endedStreamTotal: string;
  /** List: runs whose end is stored, oldest first, for their count bound. */
  readonly recentEnds: string;
  /** Channel: every signal, tagged with its sender. */
  readonly signals: string;

  constructor(readonly prefix: string) {
    this.runMeta = (runId) => `${prefix}run:${runId}`;
    this.runEvents = (runId) => `${prefix}run:${runId}:events`;
    this.threadRuns = (threadId) => `${prefix}thread:${threadId}:runs`;
    this.runEnd = (runId) => `${prefix}run:${runId}:end`;
    this.runChannel = (runId) => `${prefix}events:run:${runId}`;
    this.threadChannel = (threadId) => `${prefix}events:thread:${threadId}`;
    this.lastEventId = `${prefix}streams:last-id`;
    this.streamWriters = `${prefix}streams:writers`;
    this.endedStreams = `${prefix}streams:ended`;
    this.endedStreamBytes = `${prefix}streams:ended:bytes`;
    this.endedStreamTotal = `${prefix}streams:ended:total`;
    this.recentEnds = `${prefix}ends`;
    this.signals = `${prefix}signals`;
  }

  /** A Lua expression for `name(<idExpr>)`, e.g. `lua(keys.runEvents, "run")`. */
  lua(name: Name | string, idExpr?: string): string {
    if (typeof name === "string") return luaString(name);
    const [before, after] = name("\0").split("\0");
    return `${luaString(before)} .. ${idExpr} .. ${luaString(after)}`;
  }
}

/** A Lua string literal; bytes outside plain printable ASCII are written as decimal escapes. */
function luaString(text: string): string {
  let literal = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c;
    literal += printable ? String.fromCharCode(byte) : `\\${byte.toString().padStart(3, "0")}`;
  }
  return `'${literal}'`;
}
