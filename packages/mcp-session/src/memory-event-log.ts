import { LinkedList, type JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
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
 * One kept event. Events are linked, oldest to newest, into their session's list and into the
 * list of every session's: a Map or an array per list would be reallocated as it fills and
 * empties, and the tables of long-lived ones live in the old generation, where each
 * reallocation is garbage only a full collection frees. They are linked through the events
 * themselves, not a `LinkedList`: the log takes the oldest first, which that keeps no end of,
 * and a link object per kept event would be held for as long as the event.
 */
interface Logged {
  readonly log: SessionLog
  readonly streamId: string
  readonly seq: number
  /** The message as JSON: its size is what the byte bounds count, and it holds no caller's object. */
  readonly json: string
  readonly bytes: number
  readonly final: boolean
  /** The next of its session's. */
  next: Logged | undefined
  /** The previous and the next of every session's. */
  olderOfAll: Logged | undefined
  newerOfAll: Logged | undefined
}

/** A stream that has logged events and not ended, and the number of its last. */
interface OpenStream {
  readonly streamId: string
  last: number
}

interface SessionLog {
  /** Its kept events (of all its streams), oldest first: the oldest go first. */
  oldest: Logged | undefined
  newest: Logged | undefined
  count: number
  /**
   * The streams that have not ended, with the number of their last event (ids never restart
   * within a session). An ended stream's numbers are its kept events': a POST answer, most of
   * what is logged, costs no entry here. A list, for a stream that sends something before its
   * result comes and goes with its answer (see `LinkedList`).
   */
  open: LinkedList<OpenStream>
  bytes: number
  /** Recent dedupe keys, oldest first, once one was given. */
  seen: Set<string> | undefined
}

/** A session's kept events, oldest first. */
function * eventsOf (log: SessionLog): Generator<Logged> {
  for (let event = log.oldest; event !== undefined; event = event.next) yield event
}

const SEEN_KEYS = 100

/**
 * The number of the last kept event of a stream that ended, for an event logged after its end
 * (a "node gone" answer; see `follow`), which is numbered on from it.
 */
function lastKept (log: SessionLog, streamId: string): number | undefined {
  let last: number | undefined
  for (const event of eventsOf(log)) if (event.streamId === streamId) last = event.seq
  return last
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
  #oldest: Logged | undefined
  #newest: Logged | undefined
  #bytes = 0
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
      log = { oldest: undefined, newest: undefined, count: 0, open: new LinkedList(), bytes: 0, seen: undefined }
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
    const open = log.open.find((stream) => stream.streamId === streamId)
    const seq = (open?.value.last ?? (dedupe === undefined ? undefined : lastKept(log, streamId)) ?? 0) + 1
    if (open !== undefined && final) log.open.delete(open)
    else if (open !== undefined) open.value.last = seq
    else if (!final) log.open.add({ streamId, last: seq })
    const json = given ?? JSON.stringify(message)
    const event: Logged = { log, streamId, seq, json, bytes: Buffer.byteLength(json), final, next: undefined, olderOfAll: this.#newest, newerOfAll: undefined }
    if (log.newest === undefined) log.oldest = event
    else log.newest.next = event
    log.newest = event
    log.count++
    log.bytes += event.bytes
    if (this.#newest === undefined) this.#oldest = event
    else this.#newest.newerOfAll = event
    this.#newest = event
    this.#bytes += event.bytes
    // The oldest go first: of this session past its bounds (this event too, when it alone is
    // larger than the session may keep), then of any session past the bound on all of them (the
    // oldest of all is the oldest of its session).
    while (log.count > this.#maxEvents || log.bytes > this.#maxBytesPerSession) this.#evict(log.oldest!)
    while (this.#bytes > this.#maxBytes) this.#evict(this.#oldest!)
    return formatEventId(streamId, seq)
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[] | undefined> {
    const log = this.#sessions.get(sessionId)
    // The stream's kept events, oldest first, numbered without gaps: a session's events are
    // evicted oldest first, so what is kept of a stream is the end of it. Resuming is rare: the
    // session's events (at most `maxEvents`) are read through.
    const kept: Logged[] = []
    if (log !== undefined) for (const event of eventsOf(log)) if (event.streamId === after.streamId) kept.push(event)
    const last = log?.open.find((stream) => stream.streamId === after.streamId)?.value.last ?? kept.at(-1)?.seq
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
    for (const event of eventsOf(log)) this.#unlink(event)
  }

  async close (): Promise<void> {
    this.#sessions.clear()
    this.#oldest = this.#newest = undefined
    this.#bytes = 0
  }

  /**
   * Evicts the oldest event of its session (it must be that). A stream that ended and has nothing
   * kept is forgotten: a resume of it is refused.
   */
  #evict (event: Logged): void {
    const { log } = event
    log.oldest = event.next
    if (log.oldest === undefined) log.newest = undefined
    log.count--
    log.bytes -= event.bytes
    this.#unlink(event)
  }

  /** Takes `event` out of the list of every session's. */
  #unlink (event: Logged): void {
    if (event.olderOfAll === undefined) this.#oldest = event.newerOfAll
    else event.olderOfAll.newerOfAll = event.newerOfAll
    if (event.newerOfAll === undefined) this.#newest = event.olderOfAll
    else event.newerOfAll.olderOfAll = event.olderOfAll
    this.#bytes -= event.bytes
  }
}
