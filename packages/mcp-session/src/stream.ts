import { ErrorCode, errorResponse, reportFailure, type JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import type { MessageBus } from './bus.ts'
import { FST_MCP_SESSION_EVENTS_GONE } from './errors.ts'
import { formatEventId, parseEventId, type EventLog, type StoredEvent } from './event-log.ts'
import { requestIdOf, writerOf } from './stream-id.ts'
import { decodeStreamWire, streamTopic, type DropReport, type StreamWire } from './wire.ts'

/** A live connection that carries a stream's events: an SSE response, written by the transport. */
export interface StreamSink {
  /** Writes one event (without an id when it could not be logged); `json`: the message serialized, when known. */
  write (id: string | undefined, message: JSONRPCMessage, json?: string): void
  /** Ends the connection; `retryMs` tells the client to reconnect after that long. */
  end (retryMs?: number): void
  /** Runs once the connection is closed, by either side. */
  onClose (listener: () => void): void
}

export interface StreamServices {
  eventLog: EventLog
  bus: MessageBus
  /** This node's id (8 characters); the streams this node writes begin with it. */
  node: string
  /** Asks the node writing a stream whether it still does: it answers `{ alive }` on the stream's topic. */
  probe (sessionId: string, streamId: string): Promise<void>
  /** Where malformed bus messages are reported. */
  dropped: DropReport
  /**
   * No other node shares the bus (an in-memory bus of this node's own): a standalone stream has
   * no writer elsewhere to listen for, nor a node to take it over.
   */
  readonly alone?: boolean
}

type WireEvent = Extract<StreamWire, { message: unknown }>

/** A standalone stream's subscription, keeping what it hears until `live`. */
interface Listening {
  unlisten: () => Promise<void>
  live (written: ReadonlySet<string>): void
}

/** What a stream attached without a replay has written already: nothing (one set for every stream). */
const NOTHING_WRITTEN: ReadonlySet<string> = new Set()

export { writerOf }

/** How long the writer of a followed stream has to answer a probe before it is taken for gone. */
const PROBE_TIMEOUT_MS = 2000
/** How often the writer of a followed stream is asked again while it writes, so a writer that dies later is noticed too. */
const REPROBE_MS = 10_000
/** What a request whose node went away is answered, on its stream (`ErrorCode.NodeGone`). */
export const NODE_GONE_MESSAGE = 'The server node answering this request went away before it answered; the request may be retried'

/**
 * One logical SSE stream of a session, as this node writes it: the stream of a POST answered
 * here (its request's messages, then its response), or the standalone stream (messages outside
 * any request). It outlives its connections: every message is logged, then written to the
 * connection attached here, or, when none is, published on the bus for a node whose connection
 * follows the stream (a client that reconnected elsewhere with `Last-Event-ID`). Messages keep
 * their order.
 *
 * The standalone stream has writers on every node: while this node holds its connection, it
 * listens on the bus for what other nodes send it, and a connection opened on another node
 * takes it over (the newest connection wins).
 */
export class Stream {
  readonly id: string
  readonly #sessionId: string
  readonly #services: StreamServices
  readonly #standalone: boolean
  readonly #onComplete: (stream: Stream) => void
  #sink: StreamSink | undefined
  #unlisten: (() => Promise<void>) | undefined
  #queue: Promise<void> = Promise.resolve()
  #lastEventId: string
  #completed = false
  #closed = false

  constructor (id: string, sessionId: string, services: StreamServices, options: { standalone?: boolean, onComplete?: (stream: Stream) => void } = {}) {
    this.id = id
    this.#sessionId = sessionId
    this.#services = services
    this.#standalone = options.standalone === true
    this.#onComplete = options.onComplete ?? (() => {})
    this.#lastEventId = formatEventId(id, 0)
  }

  /** The id of the last event, or the priming id when nothing was sent yet. */
  get lastEventId (): string {
    return this.#lastEventId
  }

  get connected (): boolean {
    return this.#sink !== undefined
  }

  get completed (): boolean {
    return this.#completed
  }

  /**
   * Logs `message`, then delivers it; nothing once the session ended. With `dedupe`, a message
   * another node already sent under that key is not sent again.
   */
  send (message: JSONRPCMessage, dedupe?: string, json?: string): Promise<void> {
    return this.#enqueue(() => this.#send(message, false, dedupe, json))
  }

  /** Sends the stream's last message (a POST's response), if any, and ends it. */
  complete (message?: JSONRPCMessage): Promise<void> {
    return this.#enqueue(async () => {
      if (message !== undefined) await this.#send(message, true)
      this.#completed = true
      this.#detach()?.end()
      this.#onComplete(this)
    })
  }

  /** The session ended: ends the connection, and nothing more is logged or sent. */
  close (): void {
    this.#closed = true
    this.#detach()?.end()
  }

  /**
   * Makes `sink` the stream's connection until it closes; the stream then goes on without one.
   * A connection attached before is ended: the newest connection wins, on any node.
   */
  attach (sink: StreamSink): Promise<void> {
    return this.#attach(sink)
  }

  /**
   * Ends the connection but not the stream, once what was sent before is written: with
   * `retryMs`, the client reconnects after that long with `Last-Event-ID` (SSE polling, 2025-11-25).
   */
  disconnect (retryMs?: number): Promise<void> {
    return this.#enqueue(async () => { this.#detach()?.end(retryMs) })
  }

  /**
   * Writes to `sink` the events after `lastEventId`, then attaches it, with nothing sent in
   * between lost or written twice. A completed stream ends the connection after the replay.
   * Resolves to the number of events replayed.
   */
  resume (sink: StreamSink, lastEventId: string): Promise<number> {
    let replayed = 0
    return this.#enqueue(async () => {
      // The standalone stream has writers elsewhere: listen before reading the log, so what they
      // send meanwhile is either in the replay or heard, and written once.
      const listening = this.#listens() && !this.#completed ? await this.#listen(sink, false) : undefined
      const events = await replayable(this.#services.eventLog, this.#sessionId, lastEventId)
      for (const event of events) sink.write(event.id, event.message)
      replayed = events.length
      if (this.#completed) {
        sink.end()
        return
      }
      this.#swap(sink)
      if (listening !== undefined) this.#hear(sink, listening, new Set(events.map((event) => event.id)))
    }).then(() => replayed)
  }

  async #send (message: JSONRPCMessage, final: boolean, dedupe?: string, given?: string): Promise<void> {
    if (this.#closed) return
    // Serialized once, for the log and the connection.
    const json = given ?? JSON.stringify(message)
    let id: string | undefined
    try {
      id = await this.#services.eventLog.append(this.#sessionId, this.id, message, { final, dedupe, json })
      if (id === undefined) return
      this.#lastEventId = id
    } catch {
      // The log is out of reach: a connected client still gets the message, without an id.
    }
    if (this.#sink !== undefined) {
      this.#sink.write(id, message, json)
    } else if (id !== undefined) {
      const wire: StreamWire = final ? { id, message, final: true } : { id, message }
      await this.#services.bus.publish(streamTopic(this.#sessionId, this.id), JSON.stringify(wire))
        .catch((error: unknown) => reportFailure('session', 'publish a stream event for a connection on another node', error))
    }
  }

  /** Swaps the connection at once; a standalone stream then listens for other nodes (async). */
  async #attach (sink: StreamSink): Promise<void> {
    if (this.#sink === sink || this.#closed) return
    this.#swap(sink)
    if (!this.#listens()) return
    const listening = await this.#listen(sink, true)
    if (listening !== undefined) this.#hear(sink, listening, NOTHING_WRITTEN)
  }

  /** Keeps the listener for as long as its connection holds the stream; writes what it kept. */
  #hear (sink: StreamSink, listening: Listening, replayed: ReadonlySet<string>): void {
    if (this.#sink !== sink) {
      listening.unlisten().catch((error: unknown) => reportFailure('session', 'stop listening for a stream', error))
      return
    }
    this.#unlisten = listening.unlisten
    listening.live(replayed)
  }

  #swap (sink: StreamSink): void {
    this.#detach()?.end()
    this.#sink = sink
    sink.onClose(() => {
      if (this.#sink === sink) this.#detach()
    })
  }

  /**
   * While this node holds the standalone stream (`sink`, attached now or once a replay is done):
   * what other nodes send it, and takeovers. Until `live`, what arrives is kept; `live` writes
   * it, but for the ids already written (a replay).
   */
  async #listen (sink: StreamSink, attached: boolean): Promise<Listening | undefined> {
    const { bus, node } = this.#services
    const topic = streamTopic(this.#sessionId, this.id)
    let held: WireEvent[] | undefined = []
    let written = NOTHING_WRITTEN
    const write = (wire: WireEvent): void => {
      if (this.#sink === sink && (wire.id === undefined || !written.has(wire.id))) sink.write(wire.id, wire.message)
    }
    const unlisten = await bus.subscribe(topic, (payload) => {
      const wire = decodeStreamWire(payload, this.#services.dropped)
      if (wire === undefined) return
      if ('takeover' in wire) {
        if (wire.takeover !== node) {
          this.#enqueue(async () => { if (this.#sink === sink) this.#detach()?.end() })
            .catch((error: unknown) => reportFailure('session', 'hand a stream over to another node', error))
        }
      } else if ('message' in wire) {
        if (held !== undefined) held.push(wire)
        else write(wire)
      }
    })
    // Closed meanwhile, or (once attached) replaced by a newer connection: nothing to listen for.
    if (this.#closed || (attached && this.#sink !== sink)) {
      await unlisten()
      return undefined
    }
    await bus.publish(topic, JSON.stringify({ takeover: node } satisfies StreamWire))
    return {
      unlisten,
      live: (replayed) => {
        written = replayed
        const pending = held ?? []
        held = undefined
        for (const wire of pending) write(wire)
      }
    }
  }

  /** Whether this stream, while connected here, listens on the bus for other nodes (see `#listen`). */
  #listens (): boolean {
    return this.#standalone && this.#services.alone !== true
  }

  #detach (): StreamSink | undefined {
    const sink = this.#sink
    this.#sink = undefined
    this.#unlisten?.().catch((error: unknown) => reportFailure('session', 'stop listening for a stream', error))
    this.#unlisten = undefined
    return sink
  }

  #enqueue (work: () => Promise<void>): Promise<void> {
    const done = this.#queue.then(work)
    // The caller gets `done`, and its rejection; the queue only waits for it to settle.
    this.#queue = done.catch(() => {})
    return done
  }
}

/**
 * The events after `lastEventId`, all of them: when the log already trimmed some away (past
 * `maxEventsPerSession` or `maxEventAgeMs`), a partial replay would lose them silently, so it
 * is refused (410) and the client knows to retry its request.
 */
async function replayable (log: EventLog, sessionId: string, lastEventId: string): Promise<StoredEvent[]> {
  const after = parseEventId(lastEventId)
  if (after === undefined) return []
  const events = await log.replay(sessionId, after)
  if (events === undefined) throw new FST_MCP_SESSION_EVENTS_GONE()
  return events
}

/**
 * Follows, on `sink`, a stream this node does not write: a POST answered on another node, or
 * one that ended. What its writer publishes is listened to first, then the events after
 * `lastEventId` come from the log, then the live ones, until the last; nothing twice. A stream
 * its writer no longer writes (it says so) ends after the replay. A writer that does not answer
 * went away (killed, cut off) before finishing: the request is answered here with a
 * `NodeGone` error, logged as the stream's last event (once, whichever nodes follow it), so
 * the client may retry it and a later resume gets the same answer. While the writer writes,
 * it is asked again every `REPROBE_MS`. Resolves to the number of events replayed.
 */
export async function follow (services: StreamServices, sessionId: string, streamId: string, lastEventId: string, sink: StreamSink): Promise<number> {
  let replaying = true
  let ended = false
  const buffered: WireEvent[] = []
  // The writer's answer to the last probe: writing, or not (`false`); `undefined`: no answer.
  let answer: (alive: boolean | undefined) => void = () => {}
  let reprobe: NodeJS.Timeout | undefined
  // Ids written so far: an event both replayed and heard (its publish late) is written once.
  const written = new Set<string>()
  const deliver = (event: { id?: string | undefined, message: JSONRPCMessage, final?: boolean }): void => {
    if (ended || (event.id !== undefined && written.has(event.id))) return
    if (event.id !== undefined) written.add(event.id)
    sink.write(event.id, event.message)
    if (event.final === true) finish()
  }
  const unsubscribe = await services.bus.subscribe(streamTopic(sessionId, streamId), (payload) => {
    const wire = decodeStreamWire(payload, services.dropped)
    if (wire === undefined) return
    if ('alive' in wire) answer(wire.alive)
    else if ('message' in wire) {
      if (replaying) buffered.push(wire)
      else deliver(wire)
    }
  })
  function finish (): void {
    if (ended) return
    ended = true
    clearTimeout(reprobe)
    sink.end()
    unsubscribe().catch((error: unknown) => reportFailure('session', 'stop following a stream', error))
  }
  sink.onClose(() => {
    if (ended) return
    ended = true
    clearTimeout(reprobe)
    unsubscribe().catch((error: unknown) => reportFailure('session', 'stop following a stream', error))
  })
  function probe (): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS).unref()
      answer = (alive) => { clearTimeout(timer); resolve(alive) }
      // Not asked (the bus is out of reach) is not an answer: end, and let the client come back.
      services.probe(sessionId, streamId).catch(() => answer(false))
    })
  }
  async function settle (alive: boolean | undefined): Promise<void> {
    if (ended) return
    if (alive === false) finish()
    else if (alive === undefined) await answerGone()
    else reprobe = setTimeout(() => { probe().then(settle).catch((error: unknown) => reportFailure('session', 'probe the writer of a followed stream', error)) }, REPROBE_MS).unref()
  }
  async function answerGone (): Promise<void> {
    const message = errorResponse(requestIdOf(streamId), ErrorCode.NodeGone, NODE_GONE_MESSAGE)
    try {
      await services.eventLog.append(sessionId, streamId, message, { final: true, dedupe: `gone:${streamId}` })
      // Logged here, or by a node that followed the stream too (then not again): either way the
      // stream's last event is in the log now, and with it whatever the writer logged before.
      for (const event of await services.eventLog.replay(sessionId, parseEventId(lastEventId)!) ?? []) deliver(event)
    } catch {
      // The log is out of reach: the client resumes later, and the node it reaches then answers.
    }
    finish()
  }
  // Written here and not found: it ended (or never was); elsewhere: ask its writer.
  const alive = writerOf(streamId) === services.node ? Promise.resolve(false) : probe()
  let events: StoredEvent[]
  try {
    events = await replayable(services.eventLog, sessionId, lastEventId)
  } catch (error) {
    ended = true
    answer(false)
    await unsubscribe()
    throw error
  }
  for (const event of events) deliver(event)
  replaying = false
  for (const event of buffered) deliver(event)
  if (!ended) await settle(await alive)
  return events.length
}
