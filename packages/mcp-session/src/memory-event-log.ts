import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import { formatEventId, type AppendOptions, type EventId, type EventLog, type StoredEvent } from './event-log.ts'

interface Logged extends StoredEvent {
  streamId: string
  seq: number
}

interface SessionLog {
  events: Logged[]
  seqs: Map<string, number>
  /** Recent dedupe keys, oldest first. */
  seen: Set<string>
}

const SEEN_KEYS = 100

/** The event log in this process: the last `maxEvents` events of each session. */
export class MemoryEventLog implements EventLog {
  readonly #sessions = new Map<string, SessionLog>()
  readonly #maxEvents: number

  constructor (maxEvents = 1000) {
    this.#maxEvents = maxEvents
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage, { final = false, dedupe }: AppendOptions = {}): Promise<string | undefined> {
    let log = this.#sessions.get(sessionId)
    if (log === undefined) {
      log = { events: [], seqs: new Map(), seen: new Set() }
      this.#sessions.set(sessionId, log)
    }
    if (dedupe !== undefined) {
      if (log.seen.has(dedupe)) return undefined
      log.seen.add(dedupe)
      if (log.seen.size > SEEN_KEYS) log.seen.delete(log.seen.values().next().value!)
    }
    const seq = (log.seqs.get(streamId) ?? 0) + 1
    log.seqs.set(streamId, seq)
    const id = formatEventId(streamId, seq)
    log.events.push(final ? { id, streamId, seq, message, final } : { id, streamId, seq, message })
    if (log.events.length > this.#maxEvents) log.events.shift()
    return id
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[]> {
    const events = this.#sessions.get(sessionId)?.events ?? []
    return events
      .filter((event) => event.streamId === after.streamId && event.seq > after.seq)
      .map(({ id, message, final }) => final === true ? { id, message, final } : { id, message })
  }

  async retained (sessionId: string, streamId: string): Promise<{ first: number | undefined, last: number }> {
    const log = this.#sessions.get(sessionId)
    return { first: log?.events.find((event) => event.streamId === streamId)?.seq, last: log?.seqs.get(streamId) ?? 0 }
  }

  async drop (sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId)
  }

  async close (): Promise<void> {
    this.#sessions.clear()
  }
}
