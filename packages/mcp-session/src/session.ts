import { ErrorCode, LinkedList, McpError, type ClientSession, type JSONRPCMessage, type Link, type LoggingLevel, type RequestId } from '@mcp-fastify/mcp-protocol'
import { streamResumeChannel, type StreamResumeEvent } from './channels.ts'
import { parseEventId } from './event-log.ts'
import type { McpSessionSettings } from './options.ts'
import type { SessionChanges, SessionRecord, SessionStore } from './store.ts'
import { postStreamId } from './stream-id.ts'
import { follow, Stream, type StreamServices, type StreamSink } from './stream.ts'

/** The id of the one standalone stream of a session (the one a GET opens). */
export const STANDALONE_STREAM_ID = 'get'

export type ResumeOutcome = 'resumed' | 'followed' | 'invalid'

interface SessionServices extends StreamServices {
  store: SessionStore
  settings: Pick<McpSessionSettings, 'maxSubscriptionsPerSession'>
  /** Tells the other nodes holding the session what changed here. */
  changed (sessionId: string, changes: SessionChanges): void
}

/**
 * A session as this node holds it: the record (shared through the store) plus what only lives
 * here, its streams and their connections.
 */
export class Session implements ClientSession {
  readonly id: string
  readonly #record: SessionRecord
  readonly #services: SessionServices
  // Both made on first use: most sessions never have a POST stream open nor follow one, and an
  // empty Set costs about 150 bytes, per session held. The POST streams come and go with every
  // SSE answer: a list, not a Map (see `LinkedList`).
  #streams: LinkedList<Stream> | undefined
  /** Connections following, here, streams written elsewhere (or ended): they end with the session. */
  #followers: Set<FollowerSink> | undefined
  #standalone: Stream | undefined
  /** When this node last saw the session used (ms since epoch). */
  lastSeen = Date.now()
  /** When this node last slid the session's expiry in the store (ms since epoch). */
  touchedAt = Date.now()

  /**
   * Built by the plugin's session registry, which creates and restores sessions.
   *
   * @internal
   */
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
    await this.#change({ logLevel: level })
  }

  /**
   * Subscribes the session to `uri`. Past `maxSubscriptionsPerSession` resources, refused with a
   * JSON-RPC error -32602 (the request's params cannot be honoured) that says why.
   */
  async subscribe (uri: string): Promise<void> {
    const { subscriptions } = this.#record
    if (subscriptions.includes(uri)) return
    const max = this.#services.settings.maxSubscriptionsPerSession
    if (subscriptions.length >= max) {
      throw new McpError(ErrorCode.InvalidParams,
        `Too many subscriptions: a session may be subscribed to ${max} resources at most; unsubscribe from one first`, { maxSubscriptions: max })
    }
    await this.#change({ subscriptions: [...subscriptions, uri] })
  }

  async unsubscribe (uri: string): Promise<void> {
    if (this.#record.subscriptions.includes(uri)) await this.#change({ subscriptions: this.#record.subscriptions.filter((subscribed) => subscribed !== uri) })
  }

  /** Takes in what changed on another node (from the store or the bus). */
  apply (changes: SessionChanges): void {
    Object.assign(this.#record, changes)
  }

  async #change (changes: SessionChanges): Promise<void> {
    this.apply(changes)
    await this.#services.store.update(this.id, changes)
    this.#services.changed(this.id, changes)
  }

  isSubscribed (uri: string): boolean {
    return this.#record.subscriptions.includes(uri)
  }

  /** True while a connection of this session is open on this node. */
  get connected (): boolean {
    if (this.#standalone?.connected === true || (this.#followers?.size ?? 0) > 0) return true
    for (const stream of this.#streams ?? []) {
      if (stream.connected) return true
    }
    return false
  }

  /** Streams open on this node (POST streams in progress, followed streams, and the standalone one if connected). */
  get openStreams (): number {
    return (this.#streams?.size ?? 0) + (this.#followers?.size ?? 0) + (this.#standalone?.connected === true ? 1 : 0)
  }

  /**
   * A new stream for the answer to one POST (to request `requestId`, when it answers one). Its
   * id names this node and the request, so a node the client resumes it on finds its writer,
   * and can answer the request if the writer went away (see `stream-id.ts`).
   */
  openStream (requestId?: RequestId): Stream {
    const streams = this.#streams ??= new LinkedList()
    const stream = new Stream(postStreamId(this.#services.node, requestId), this.id, this.#services, {
      onComplete: () => { streams.delete(link) }
    })
    const link: Link<Stream> = streams.add(stream)
    return stream
  }

  /** Whether this node writes the POST stream `streamId` (it has not ended). */
  writes (streamId: string): boolean {
    return this.#streams?.find((stream) => stream.id === streamId) !== undefined
  }

  /** The standalone stream, once a GET opened it; messages outside any request go there. */
  get standalone (): Stream | undefined {
    return this.#standalone
  }

  openStandalone (): Stream {
    this.#standalone ??= new Stream(STANDALONE_STREAM_ID, this.id, this.#services, { standalone: true })
    return this.#standalone
  }

  /**
   * Resumes the stream `lastEventId` names on `sink`: the events after it, then live ones until
   * the stream ends. A stream written here is resumed here; one written on another node (or
   * one that completed) is followed: replayed from the log, then what its writer publishes.
   * `invalid`: the id is not one this server gives.
   */
  async resume (lastEventId: string, sink: StreamSink): Promise<ResumeOutcome> {
    const eventId = parseEventId(lastEventId)
    if (eventId === undefined) return 'invalid'
    const stream = eventId.streamId === STANDALONE_STREAM_ID ? this.openStandalone() : this.#streams?.find((stream) => stream.id === eventId.streamId)?.value
    const replayed = stream !== undefined
      ? await stream.resume(sink, lastEventId)
      : await this.#follow(eventId.streamId, lastEventId, sink)
    if (streamResumeChannel.hasSubscribers) {
      streamResumeChannel.publish({ sessionId: this.id, streamId: eventId.streamId, replayed } satisfies StreamResumeEvent)
    }
    return stream === undefined ? 'followed' : 'resumed'
  }

  /** The session ended: its connections on this node close and its streams take nothing more. */
  close (): void {
    this.#standalone?.close()
    for (const stream of this.#streams ?? []) stream.close()
    this.#streams = undefined
    for (const follower of [...this.#followers ?? []]) follower.close()
  }

  /** Follows a stream on `sink`, registered with the session meanwhile: the session's end ends it. */
  async #follow (streamId: string, lastEventId: string, sink: StreamSink): Promise<number> {
    const followers = this.#followers ??= new Set()
    const follower = new FollowerSink(sink, () => followers.delete(follower))
    followers.add(follower)
    try {
      return await follow(this.#services, this.id, streamId, lastEventId, follower)
    } catch (error) {
      // Refused (410): nothing was sent, the caller answers on the connection.
      followers.delete(follower)
      throw error
    }
  }
}

/**
 * A connection that follows a stream (`follow`), as the session holds it: the session can end it
 * (`close`), which ends the connection and tells `follow` it closed (so it stops listening and
 * probing), even before `follow` asked to be told; nothing is written to it after.
 */
class FollowerSink implements StreamSink {
  readonly #sink: StreamSink
  readonly #done: () => void
  readonly #listeners: Array<() => void> = []
  #closed = false

  constructor (sink: StreamSink, done: () => void) {
    this.#sink = sink
    this.#done = done
    sink.onClose(() => this.#close())
  }

  write (id: string | undefined, message: JSONRPCMessage): void {
    if (!this.#closed) this.#sink.write(id, message)
  }

  end (retryMs?: number): void {
    if (this.#closed) return
    this.#sink.end(retryMs)
    this.#close()
  }

  onClose (listener: () => void): void {
    if (this.#closed) listener()
    else this.#listeners.push(listener)
  }

  close (): void {
    if (this.#closed) return
    this.#sink.end()
    this.#close()
  }

  #close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#done()
    for (const listener of this.#listeners.splice(0)) listener()
  }
}
