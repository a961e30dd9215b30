import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import { formatEventId, type EventId, type EventLog, type StoredEvent } from './event-log.ts'

interface Logged extends StoredEvent {
  streamId: string
  seq: number
}

interface SessionLog {
  events: Logged[]
  seqs: Map<string, number>
}

/** The event log in this process: the last `maxEvents` events of each session. */
export class MemoryEventLog implements EventLog {
  readonly #sessions = new Map<string, SessionLog>()
  readonly #maxEvents: number

  constructor (maxEvents = 1000) {
    this.#maxEvents = maxEvents
  }

  async append (sessionId: string, streamId: string, message: JSONRPCMessage): Promise<string> {
    let log = this.#sessions.get(sessionId)
    if (log === undefined) {
      log = { events: [], seqs: new Map() }
      this.#sessions.set(sessionId, log)
    }
    const seq = (log.seqs.get(streamId) ?? 0) + 1
    log.seqs.set(streamId, seq)
    const id = formatEventId(streamId, seq)
    log.events.push({ id, streamId, seq, message })
    if (log.events.length > this.#maxEvents) log.events.shift()
    return id
  }

  async replay (sessionId: string, after: EventId): Promise<StoredEvent[]> {
    const events = this.#sessions.get(sessionId)?.events ?? []
    return events
      .filter((event) => event.streamId === after.streamId && event.seq > after.seq)
      .map(({ id, message }) => ({ id, message }))
  }

  async drop (sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId)
  }

  async close (): Promise<void> {
    this.#sessions.clear()
  }
}
