import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import { formatEventId, type AppendOptions, type EventId, type EventLog, type StoredEvent } from './event-log.ts'

export interface MemoryEventLogOptions {
  /** Events kept per session (default 1000). */
  maxEvents?: number
  /** Bytes of events (their JSON) kept per session (default 1 MiB). */
  maxBytesPerSession?: number
  /** Bytes of events (their JSON) kept for all sessions together (default 64 MiB). */
  maxBytes?: number
}

export const MEMORY_EVENT_LOG_DEFAULTS = { maxEvents: 1000, maxBytesPerSession: 1024 * 1024, maxBytes: 64 * 1024 * 1024 } as const

/**
 * A first-in, first-out queue with O(1) `push` and `shift`: an array read from a moving head,
 * compacted once the head has passed half of it (so each item is copied at most once on average).
 */
export class Deque<T> {
  #items: Array<T | undefined> = []
  #head = 0

  get length (): number {
    return this.#items.length - this.#head
  }

  push (item: T): void {
    this.#items.push(item)
  }

  /** The item `index` places from the head (0: the oldest). */
  at (index: number): T | undefined {
    return index < 0 ? undefined : this.#items[this.#head + index]
  }

  shift (): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head >= 64 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Keeps only the items `keep` accepts, in order. */
  retain (keep: (item: T) => boolean): void {
    this.#items = (this.#items.slice(this.#head) as T[]).filter(keep)
    this.#head = 0
  }

  * [Symbol.iterator] (): Iterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T
  }
}

interface Logged {
  readonly log: SessionLog
  readonly streamId: string
  readonly seq: number
  /** The message as JSON: its size is what the byte bounds count, and it holds no caller's object. */
  readonly json: string
  readonly bytes: number
  readonly final: boolean
  /** Evicted, or its session dropped. */
  gone: boolean
}

interface SessionLog {
  /** Its kept events in the order they were appended (of all its streams): the oldest go first. */
  order: Deque<Logged>
  /**
   * The number of the last event of each stream that has not ended (ids never restart within a
   * session). An ended stream's numbers are its kept events': a POST answer, most of what is
   * logged, costs no entry here.
   */
  open: Map<string, number>
  bytes: number
  /** Recent dedupe keys, oldest first, once one was given. */
  seen: Set<string> | undefined
}

const SEEN_KEYS = 100

/**
 * The number of the last kept event of a stream that ended, for an event logged after its end
 * (a "node gone" answer; see `follow`), which is numbered on from it.
 */
function lastKept (log: SessionLog, streamId: string): number | undefined {
  for (let i = log.order.length - 1; i >= 0; i--) {
    const event = log.order.at(i)!
    if (event.streamId === streamId) return event.seq
  }
  return undefined
}

/**
 * The event log in this process. Each session keeps its last `maxEvents` events, and at most
 * `maxBytesPerSession` bytes of them; all sessions together keep at most `maxBytes` bytes, the
 * oldest events going first. A replay past what was evicted is refused (`undefined`), never
 * silently partial.
 */
export class MemoryEventLog implements EventLog {
  readonly #sessions = new Map<string, SessionLog>()
  /** Every session's kept events in the order they were appended, for the bound on all of them. */
  readonly #order = new Deque<Logged>()
  #bytes = 0
  #kept = 0
  readonly #maxEvents: number
  readonly #maxBytesPerSession: number
  readonly #maxBytes: number

  /** `options`: the bounds; a number is `maxEvents` alone. */
  constructor (options: number | MemoryEventLogOptions = {}) {
    const { maxEvents, maxBytesPerSession, maxBytes } = { ...MEMORY_EVENT_LOG_DEFAULTS, ...(typeof options === 'number' ? { maxEvents: options } : options) }
    this.#maxEvents = maxEvents
    this.#maxBytesPerSession = maxBytesPerSession
    this.#maxBytes = maxBytes
  }

  /** Bytes of events kept now, all sessions together. */
  get bytes (): number {
    return this.#bytes
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage, { final = false, dedupe, json: given }: AppendOptions = {}): Promise<string | undefined> {
    let log = this.#sessions.get(sessionId)
    if (log === undefined) {
      log = { order: new Deque(), open: new Map(), bytes: 0, seen: undefined }
      this.#sessions.set(sessionId, log)
    }
    if (dedupe !== undefined) {
      log.seen ??= new Set()
      if (log.seen.has(dedupe)) return undefined
      log.seen.add(dedupe)
      if (log.seen.size > SEEN_KEYS) log.seen.delete(log.seen.values().next().value!)
    }
    // Only a message other nodes may log too (a node-gone answer, see `follow`) may come after
    // a stream's end, to be numbered on from its kept events; any other starts a stream or is open.
    const seq = (log.open.get(streamId) ?? (dedupe === undefined ? undefined : lastKept(log, streamId)) ?? 0) + 1
    if (final) log.open.delete(streamId)
    else log.open.set(streamId, seq)
    const json = given ?? JSON.stringify(message)
    const event: Logged = { log, streamId, seq, json, bytes: Buffer.byteLength(json), final, gone: false }
    log.order.push(event)
    this.#order.push(event)
    log.bytes += event.bytes
    this.#bytes += event.bytes
    this.#kept++
    // The oldest go first: of this session past its bounds (this event too, when it alone is
    // larger than the session may keep), then of any session past the bound on all of them.
    while (log.order.length > this.#maxEvents || log.bytes > this.#maxBytesPerSession) this.#evict(log.order.at(0)!)
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#order.shift()!
      if (!oldest.gone) this.#evict(oldest)
    }
    this.#compact()
    return formatEventId(streamId, seq)
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[] | undefined> {
    const log = this.#sessions.get(sessionId)
    // The stream's kept events, oldest first, numbered without gaps: a session's events are
    // evicted oldest first, so what is kept of a stream is the end of it. Resuming is rare: the
    // session's events (at most `maxEvents`) are read through.
    const kept: Logged[] = []
    if (log !== undefined) for (const event of log.order) if (event.streamId === after.streamId) kept.push(event)
    const last = log?.open.get(after.streamId) ?? kept.at(-1)?.seq
    // A stream not known (any more) that the client saw events of: whatever followed is gone.
    if (last === undefined) return after.seq === 0 ? [] : undefined
    if (after.seq >= last) return []
    const first = kept[0]?.seq
    if (first === undefined || first > after.seq + 1) return undefined
    return kept.slice(after.seq + 1 - first).map(({ streamId, seq, json, final }) => {
      const event: StoredEvent = { id: formatEventId(streamId, seq), message: JSON.parse(json) as JSONRPCMessage }
      if (final) event.final = true
      return event
    })
  }

  async drop (sessionId: string): Promise<void> {
    const log = this.#sessions.get(sessionId)
    if (log === undefined) return
    this.#sessions.delete(sessionId)
    for (const event of log.order) this.#forget(event)
    this.#compact()
  }

  async close (): Promise<void> {
    this.#sessions.clear()
    this.#order.retain(() => false)
    this.#bytes = 0
    this.#kept = 0
  }

  /**
   * Evicts the oldest event of its session (it must be that). A stream that ended and has nothing
   * kept is forgotten: a resume of it is refused.
   */
  #evict (event: Logged): void {
    const { log } = event
    log.order.shift()
    log.bytes -= event.bytes
    this.#forget(event)
  }

  #forget (event: Logged): void {
    event.gone = true
    this.#bytes -= event.bytes
    this.#kept--
  }

  /** Events gone from the log but still queued for the bound on all sessions: dropped once they are most of the queue. */
  #compact (): void {
    if (this.#order.length > 1024 && this.#order.length > 2 * this.#kept) this.#order.retain((event) => !event.gone)
  }
}
