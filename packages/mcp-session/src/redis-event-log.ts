import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import { formatEventId, type AppendOptions, type EventId, type EventLog, type StoredEvent } from './event-log.ts'
import { checkPrefix, luaScript, sessionTag, type RedisClient } from './redis-connection.ts'
import { checkReplayed, decodeStoredMessage, publishDropped, type DropReport } from './wire.ts'

// One Redis Stream per session (`e:{<session>}`) holds the events of all its streams, trimmed by
// length and age; a hash (`q:{<session>}`) holds, for each of its streams, the number of its last
// event and that event's entry id. Each entry names the entry of its stream's previous event
// (`p`), so a replay walks back from the stream's last event to the one asked for, reading only
// the events it returns, whatever else the session logged. The braces make the session id a hash
// tag: all of a session's keys are in one cluster slot. Numbering and storing happen in one
// script, so ids are assigned atomically whichever node appends.

// KEYS: events, counters[, dedupe]. ARGV: stream, message, final, maxEvents, maxAgeMs, counter ttl.
const APPEND = luaScript(`
if KEYS[3] and not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) then return false end
local n, previous = 1, ''
local known = redis.call('HGET', KEYS[2], ARGV[1])
if known then
  local space = string.find(known, ' ', 1, true)
  if space then
    n = tonumber(string.sub(known, 1, space - 1)) + 1
    previous = string.sub(known, space + 1)
  else
    n = tonumber(known) + 1
  end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 's', ARGV[1], 'n', n, 'm', ARGV[2], 'f', ARGV[3], 'p', previous)
redis.call('HSET', KEYS[2], ARGV[1], n .. ' ' .. id)
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', '~', oldest)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return n`)

// KEYS: events, counters. ARGV: stream, the number of the last event the client saw.
// Returns { 1 (all kept) or 0 (some trimmed away), { { n, message, final }, ... } }.
const REPLAY = luaScript(`
local known = redis.call('HGET', KEYS[2], ARGV[1])
local after = tonumber(ARGV[2])
if not known then
  if after == 0 then return { 1, {} } end
  return { 0, {} }
end
local space = string.find(known, ' ', 1, true)
local expect = tonumber(string.sub(known, 1, (space or 0) - 1))
local id = space and string.sub(known, space + 1) or ''
if expect <= after then return { 1, {} } end
local events = {}
while expect > after do
  if id == '' then return { 0, {} } end
  local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
  if not entry then return { 0, {} } end
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  if fields.s ~= ARGV[1] or tonumber(fields.n) ~= expect or not fields.m then return { 0, {} } end
  events[#events + 1] = { expect, fields.m, fields.f or '0' }
  id = fields.p or ''
  expect = expect - 1
end
local ordered = {}
for i = #events, 1, -1 do ordered[#ordered + 1] = events[i] end
return { 1, ordered }`)

/** How long stream counters outlive their last event, so ids never restart within a session. */
const COUNTER_TTL_MS = 24 * 60 * 60_000

export interface RedisEventLogOptions {
  maxEvents: number
  maxAgeMs: number
  prefix?: string
  /** Where events that cannot be read back are reported. */
  dropped?: DropReport
}

/** The event log in Redis (a single Redis or a cluster): any node can replay what any node sent. */
export class RedisEventLog implements EventLog {
  readonly #redis: RedisClient
  readonly #maxEvents: number
  readonly #maxAgeMs: number
  readonly #prefix: string
  readonly #dropped: DropReport

  constructor (redis: RedisClient, { maxEvents, maxAgeMs, prefix = 'mcp:', dropped = publishDropped }: RedisEventLogOptions) {
    this.#redis = redis
    this.#dropped = dropped
    this.#maxEvents = maxEvents
    this.#maxAgeMs = maxAgeMs
    this.#prefix = checkPrefix(prefix)
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage, { final = false, dedupe, json }: AppendOptions = {}): Promise<string | undefined> {
    const keys = [this.#events(sessionId), this.#counters(sessionId)]
    if (dedupe !== undefined) keys.push(`${this.#prefix}d:${sessionTag(sessionId)}:${dedupe}`)
    const seq = await APPEND(this.#redis, keys,
      [streamId, json ?? JSON.stringify(message), final ? '1' : '0', this.#maxEvents, this.#maxAgeMs, Math.max(this.#maxAgeMs, COUNTER_TTL_MS)])
    return seq === null ? undefined : formatEventId(streamId, Number(seq))
  }

  /**
   * Walks back from the stream's last event to the one after `after`: a stream whose entries
   * were trimmed away, or hold something that is not ours, cannot be replayed whole (`undefined`).
   * An event whose message cannot be read back is lost already: reported, and left out.
   */
  async replay (sessionId: string, after: EventId): Promise<StoredEvent[] | undefined> {
    const reply = checkReplayed(await REPLAY(this.#redis, [this.#events(sessionId), this.#counters(sessionId)], [after.streamId, after.seq]), this.#dropped)
    if (reply === undefined || reply[0] === 0) return undefined
    const events: StoredEvent[] = []
    for (const [seq, json, final] of reply[1]) {
      const message = decodeStoredMessage(json, this.#dropped)
      if (message === undefined) continue
      const event: StoredEvent = { id: formatEventId(after.streamId, seq), message }
      if (final === '1') event.final = true
      events.push(event)
    }
    return events
  }

  async drop (sessionId: string): Promise<void> {
    await this.#redis.del(this.#events(sessionId), this.#counters(sessionId))
  }

  async close (): Promise<void> {}

  #events (sessionId: string): string {
    return `${this.#prefix}e:${sessionTag(sessionId)}`
  }

  #counters (sessionId: string): string {
    return `${this.#prefix}q:${sessionTag(sessionId)}`
  }
}
