import { randomBytes } from 'node:crypto'
import type { ClientSession, LoggingLevel } from '@mcp-fastify/mcp-protocol'
import { streamResumeChannel, type StreamResumeEvent } from './channels.ts'
import { parseEventId, type EventLog } from './event-log.ts'
import type { SessionRecord, SessionStore } from './store.ts'
import { replay, Stream, type StreamSink } from './stream.ts'

/** The id of the one standalone stream of a session (the one a GET opens). */
export const STANDALONE_STREAM_ID = 'get'

export type ResumeOutcome = 'resumed' | 'replayed' | 'invalid'

interface SessionServices {
  store: SessionStore
  eventLog: EventLog
}

/**
 * A session as this node holds it: the record (shared through the store) plus what only lives
 * here, its streams and their connections.
 */
export class Session implements ClientSession {
  readonly id: string
  readonly #record: SessionRecord
  readonly #services: SessionServices
  readonly #streams = new Map<string, Stream>()
  #standalone: Stream | undefined
  /** When this node last saw the session used (ms since epoch). */
  lastSeen = Date.now()

  constructor (record: SessionRecord, services: SessionServices) {
    this.id = record.id
    this.#record = record
    this.#services = services
  }

  get protocolVersion (): SessionRecord['protocolVersion'] { return this.#record.protocolVersion }
  get clientCapabilities (): SessionRecord['clientCapabilities'] { return this.#record.clientCapabilities }
  get clientInfo (): SessionRecord['clientInfo'] { return this.#record.clientInfo }
  get logLevel (): SessionRecord['logLevel'] { return this.#record.logLevel }
  get principal (): SessionRecord['principal'] { return this.#record.principal }
  get createdAt (): number { return this.#record.createdAt }

  async setLogLevel (level: LoggingLevel): Promise<void> {
    this.#record.logLevel = level
    await this.#services.store.update(this.id, { logLevel: level })
  }

  async subscribe (uri: string): Promise<void> {
    if (this.#record.subscriptions.includes(uri)) return
    this.#record.subscriptions = [...this.#record.subscriptions, uri]
    await this.#services.store.update(this.id, { subscriptions: this.#record.subscriptions })
  }

  async unsubscribe (uri: string): Promise<void> {
    if (!this.#record.subscriptions.includes(uri)) return
    this.#record.subscriptions = this.#record.subscriptions.filter((subscribed) => subscribed !== uri)
    await this.#services.store.update(this.id, { subscriptions: this.#record.subscriptions })
  }

  isSubscribed (uri: string): boolean {
    return this.#record.subscriptions.includes(uri)
  }

  /** True while a connection of this session is open on this node. */
  get connected (): boolean {
    if (this.#standalone?.connected === true) return true
    for (const stream of this.#streams.values()) {
      if (stream.connected) return true
    }
    return false
  }

  /** A new stream for the answer to one POST. */
  openStream (): Stream {
    const stream = new Stream(randomBytes(9).toString('base64url'), this.id, this.#services.eventLog,
      (done) => this.#streams.delete(done.id))
    this.#streams.set(stream.id, stream)
    return stream
  }

  /** The standalone stream, once a GET opened it; messages outside any request go there. */
  get standalone (): Stream | undefined {
    return this.#standalone
  }

  openStandalone (): Stream {
    this.#standalone ??= new Stream(STANDALONE_STREAM_ID, this.id, this.#services.eventLog, () => {})
    return this.#standalone
  }

  /**
   * Resumes the stream `lastEventId` names on `sink`: the events after it, then live ones while
   * the stream goes on here. A stream no longer live here (it completed) is replayed from the
   * log and the connection ended. `invalid`: the id is not one this server gave.
   */
  async resume (lastEventId: string, sink: StreamSink): Promise<ResumeOutcome> {
    const eventId = parseEventId(lastEventId)
    if (eventId === undefined) return 'invalid'
    const stream = eventId.streamId === STANDALONE_STREAM_ID ? this.openStandalone() : this.#streams.get(eventId.streamId)
    let replayed: number
    if (stream !== undefined) {
      replayed = await stream.resume(sink, lastEventId)
    } else {
      replayed = await replay(this.#services.eventLog, this.id, lastEventId, sink)
      sink.end()
    }
    if (streamResumeChannel.hasSubscribers) {
      streamResumeChannel.publish({ sessionId: this.id, streamId: eventId.streamId, replayed } satisfies StreamResumeEvent)
    }
    return stream === undefined ? 'replayed' : 'resumed'
  }

  /** The session ended: its connections on this node close and its streams take nothing more. */
  close (): void {
    this.#standalone?.close()
    for (const stream of this.#streams.values()) stream.close()
    this.#streams.clear()
  }
}
