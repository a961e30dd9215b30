import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import type { Redis } from 'ioredis'
import { luaScript } from './redis-connection.ts'
import { formatEventId, type AppendOptions, type EventId, type EventLog, type StoredEvent } from './event-log.ts'
import { decodeStoredMessage, publishDropped, type DropReport } from './wire.ts'

// One Redis Stream per session (`e:<session>`) holds the events of all its streams; a hash
// (`q:<session>`) counts each stream's events. Numbering and storing happen in one script, so
// ids are assigned atomically whichever node appends. The stream is trimmed by length and age.
const APPEND = luaScript(`
if KEYS[3] ~= '' and not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[5]) then return false end
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 's', ARGV[1], 'n', n, 'm', ARGV[2], 'f', ARGV[3])
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', '~', oldest)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return n`)

/** How long stream counters outlive their last event, so ids never restart within a session. */
const COUNTER_TTL_MS = 24 * 60 * 60_000

export interface RedisEventLogOptions {
  maxEvents: number
  maxAgeMs: number
  prefix?: string
  /** Where events that cannot be read back are reported. */
  dropped?: DropReport
}

/** The event log in Redis: any node can replay what any node sent. */
export class RedisEventLog implements EventLog {
  readonly #redis: Redis
  readonly #maxEvents: number
  readonly #maxAgeMs: number
  readonly #prefix: string
  readonly #dropped: DropReport

  constructor (redis: Redis, { maxEvents, maxAgeMs, prefix = 'mcp:', dropped = publishDropped }: RedisEventLogOptions) {
    this.#redis = redis
    this.#dropped = dropped
    this.#maxEvents = maxEvents
    this.#maxAgeMs = maxAgeMs
    this.#prefix = prefix
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage, { final = false, dedupe }: AppendOptions = {}): Promise<string | undefined> {
    const dedupeKey = dedupe === undefined ? '' : `${this.#prefix}d:${sessionId}:${dedupe}`
    const seq = await APPEND.run(this.#redis, [this.#events(sessionId), this.#counters(sessionId), dedupeKey],
      [streamId, JSON.stringify(message), final ? '1' : '0', this.#maxEvents, this.#maxAgeMs, Math.max(this.#maxAgeMs, COUNTER_TTL_MS)])
    return seq === null ? undefined : formatEventId(streamId, Number(seq))
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[]> {
    const entries = await this.#redis.xrange(this.#events(sessionId), '-', '+')
    const events: StoredEvent[] = []
    for (const [, fields] of entries) {
      const entry = fieldsOf(fields)
      const seq = Number(entry.n)
      if (entry.s !== after.streamId || !(seq > after.seq)) continue
      // An event that cannot be read back is lost already: reported, and left out of the replay.
      const message = decodeStoredMessage(entry.m ?? '', this.#dropped)
      if (message === undefined) continue
      const event: StoredEvent = { id: formatEventId(after.streamId, seq), message }
      if (entry.f === '1') event.final = true
      events.push(event)
    }
    return events
  }

  async retained (sessionId: string, streamId: string): Promise<{ first: number | undefined, last: number }> {
    const [entries, last] = await Promise.all([
      this.#redis.xrange(this.#events(sessionId), '-', '+'),
      this.#redis.hget(this.#counters(sessionId), streamId)
    ])
    const first = entries.map(([, fields]) => fieldsOf(fields)).find((entry) => entry.s === streamId)?.n
    return { first: first === undefined ? undefined : Number(first), last: Number(last ?? 0) }
  }

  async drop (sessionId: string): Promise<void> {
    await this.#redis.del(this.#events(sessionId), this.#counters(sessionId))
  }

  async close (): Promise<void> {}

  #events (sessionId: string): string {
    return `${this.#prefix}e:${sessionId}`
  }

  #counters (sessionId: string): string {
    return `${this.#prefix}q:${sessionId}`
  }
}

function fieldsOf (flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
  return fields
}
