/**
 * The bus's Lua scripts. A script runs atomically, so an event's stream entry and its live
 * message are one step (a reader that subscribed, then replays, misses nothing and can drop
 * what it sees twice by id), and a run end is stored before anyone hears of it.
 *
 * Event ids come from one counter for the whole prefix (`<ms>-<seq>` on Redis's clock, as
 * Redis would make them), not from each stream's own: two runs of a thread never share an id,
 * and a thread-level Last-Event-ID places every run's events before or after it.
 *
 * Names are spliced in from `RedisKeys` rather than passed as KEYS: the scripts reach keys that
 * depend on stored values (a run's thread), so the bus needs a standalone Redis (or Sentinel),
 * not Redis Cluster. ioredis sends each script's text once per connection, then its SHA.
 */

import type { Redis } from "ioredis";
import type { RedisKeys } from "./keys.js";

export type Script = (...args: (string | number)[]) => Promise<unknown>;

function define(redis: Redis, name: string, lua: string): Script {
  redis.defineCommand(name, { numberOfKeys: 0, lua });
  const command = (redis as unknown as Record<string, Script>)[name];
  return (...args) => command.apply(redis, args);
}

export interface StreamScripts {
  /**
   * Applies a batch of stream writes in order: (writer, batch number, maxLen, idleMs,
   * maxThreadRuns, maxAgeMs, maxRuns, maxBytes, then ops) where an op is `o run thread` (open),
   * `p run thread event data` (publish) or `e run thread` (end); `thread` is "" when the writer
   * does not know it. A batch numbered at or below the writer's last applied one is skipped:
   * ioredis resends what was in flight when a connection dropped, and Redis may have run it.
   */
  write: Script;
  /** (thread) → [run, lastId, run, lastId, …]: where each of the thread's runs stands now. */
  threadCursor: Script;
}

export function defineStreamScripts(redis: Redis, keys: RedisKeys): StreamScripts {
  return {
    write: define(
      redis,
      "hookgraphWriteStreams",
      `
local writers = ${keys.lua(keys.streamWriters)}
if tonumber(ARGV[2]) <= tonumber(redis.call('HGET', writers, ARGV[1]) or '0') then return 0 end
local max_len, idle = ARGV[3], ARGV[4]
local max_thread_runs, max_age, max_runs, max_bytes = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
redis.call('HSET', writers, ARGV[1], ARGV[2])
redis.call('PEXPIRE', writers, idle)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

-- Ids: after the last one given out, on Redis's clock. Read and written once per batch.
local id_ms, id_seq = now, -1
local last = redis.call('GET', ${keys.lua(keys.lastEventId)})
if last then
  local dash = string.find(last, '-', 1, true)
  local last_ms = tonumber(string.sub(last, 1, dash - 1))
  if last_ms >= now then
    id_ms = last_ms
    id_seq = tonumber(string.sub(last, dash + 1))
  end
end
local function next_id()
  id_seq = id_seq + 1
  return string.format('%d-%d', id_ms, id_seq)
end

-- What the batch knows of each run it touches, read once: its thread, whether it ended.
local runs = {}
local function state(run)
  local known = runs[run]
  if not known then
    local stored = redis.call('HMGET', ${keys.lua(keys.runMeta, "run")}, 'thread', 'ended')
    known = { thread = stored[1], ended = stored[2] ~= false }
    runs[run] = known
  end
  return known
end

-- Records an open run: its thread (for writes from any process), its place among the thread's runs.
local function open_run(run, thread, known)
  local meta = ${keys.lua(keys.runMeta, "run")}
  redis.call('HSET', meta, 'thread', thread)
  redis.call('PEXPIRE', meta, idle)
  redis.call('PEXPIRE', ${keys.lua(keys.runEvents, "run")}, idle)
  local thread_runs = ${keys.lua(keys.threadRuns, "thread")}
  redis.call('ZADD', thread_runs, 'NX', now, run)
  redis.call('ZREMRANGEBYRANK', thread_runs, 0, -max_thread_runs - 1)
  redis.call('PEXPIRE', thread_runs, idle)
  known.thread = thread
end

-- A run Redis does not know (it restarted, or the record expired) is reopened by a writer that knows its thread.
local function usable(run, thread)
  local known = state(run)
  if known.ended then return nil end
  if not known.thread then
    if thread == '' then return nil end
    open_run(run, thread, known)
  end
  return known
end

-- The live message is \`id \\n run \\n event \\n data\`: data is JSON text, which never holds a raw
-- line break, so the last line break ends the event name whatever it holds.
local function publish(run, thread, event, data)
  local known = usable(run, thread)
  if not known then return end
  local stream = ${keys.lua(keys.runEvents, "run")}
  local id = next_id()
  redis.call('XADD', stream, 'MAXLEN', '~', max_len, id, 'e', event, 'd', data)
  if not known.expiring then
    redis.call('PEXPIRE', stream, idle, 'NX')
    known.expiring = true
  end
  local message = id .. '\\n' .. run .. '\\n' .. event .. '\\n' .. data
  redis.call('PUBLISH', ${keys.lua(keys.runChannel, "run")}, message)
  redis.call('PUBLISH', ${keys.lua(keys.threadChannel, "known.thread")}, message)
end

-- The end message is \`id \\n run\`. Then the retention's bounds over every ended run of the
-- cluster: oldest end dropped first while past the count or the size (what the streams take in
-- Redis, as MEMORY USAGE reports it). Runs already gone with their age are the oldest listed,
-- so they are dropped first and never cost a live run its place.
local ended_runs, sizes, total_key = ${keys.lua(keys.endedStreams)}, ${keys.lua(keys.endedStreamBytes)}, ${keys.lua(keys.endedStreamTotal)}
local function end_run(run, thread)
  local known = state(run)
  if known.ended then return end
  local meta = ${keys.lua(keys.runMeta, "run")}
  if not known.thread then
    if thread == '' then return end
    redis.call('HSET', meta, 'thread', thread)
  end
  local stream = ${keys.lua(keys.runEvents, "run")}
  local id = next_id()
  redis.call('XADD', stream, id, 'end', '')
  redis.call('HSET', meta, 'ended', id)
  redis.call('PEXPIRE', meta, max_age)
  redis.call('PEXPIRE', stream, max_age)
  redis.call('PUBLISH', ${keys.lua(keys.runChannel, "run")}, id .. '\\n' .. run)
  known.ended = true

  local bytes = redis.call('MEMORY', 'USAGE', stream) or 0
  local count = redis.call('RPUSH', ended_runs, run)
  redis.call('HSET', sizes, run, bytes)
  local total = redis.call('INCRBY', total_key, bytes)
  while count > max_runs or total > max_bytes do
    local gone = redis.call('LPOP', ended_runs)
    total = redis.call('DECRBY', total_key, redis.call('HGET', sizes, gone) or 0)
    redis.call('HDEL', sizes, gone)
    redis.call('DEL', ${keys.lua(keys.runEvents, "gone")}, ${keys.lua(keys.runMeta, "gone")})
    runs[gone] = nil
    count = count - 1
  end
  -- Every run listed ended within the age bound, so the list goes when the last of them would.
  redis.call('PEXPIRE', ended_runs, max_age)
  redis.call('PEXPIRE', sizes, max_age)
  redis.call('PEXPIRE', total_key, max_age)
end

local i = 9
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'p' then
    publish(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
    i = i + 5
  else
    local known = state(ARGV[i + 1])
    if op == 'o' then
      if not known.ended then open_run(ARGV[i + 1], ARGV[i + 2], known) end
    else
      end_run(ARGV[i + 1], ARGV[i + 2])
    end
    i = i + 3
  end
end
if id_seq >= 0 then redis.call('SET', ${keys.lua(keys.lastEventId)}, string.format('%d-%d', id_ms, id_seq)) end
return 1
`,
    ),
    threadCursor: define(
      redis,
      "hookgraphThreadCursor",
      `
local cursor = {}
for _, run in ipairs(redis.call('ZRANGE', ${keys.lua(keys.threadRuns, "ARGV[1]")}, 0, -1)) do
  local last = redis.call('XREVRANGE', ${keys.lua(keys.runEvents, "run")}, '+', '-', 'COUNT', 1)
  cursor[#cursor + 1] = run
  cursor[#cursor + 1] = last[1] and last[1][1] or '0-0'
end
return cursor
`,
    ),
  };
}

export interface SignalScripts {
  /** (run, endJson, ttlMs, maxCount, message): stores the end, bounds the stored ends, then publishes `message`. */
  runEnded: Script;
}

export function defineSignalScripts(redis: Redis, keys: RedisKeys): SignalScripts {
  return {
    runEnded: define(
      redis,
      "hookgraphRunEnded",
      `
local ttl = tonumber(ARGV[3])
redis.call('SET', ${keys.lua(keys.runEnd, "ARGV[1]")}, ARGV[2], 'PX', ttl)
local ends = ${keys.lua(keys.recentEnds)}
-- Oldest first, expired ones included: those go first, so they never cost a kept end its place.
for _ = 1, redis.call('RPUSH', ends, ARGV[1]) - tonumber(ARGV[4]) do
  redis.call('DEL', ${keys.lua(keys.runEnd, "redis.call('LPOP', ends)")})
end
redis.call('PEXPIRE', ends, ttl)
redis.call('PUBLISH', ${keys.lua(keys.signals)}, ARGV[5])
return 1
`,
    ),
  };
}
