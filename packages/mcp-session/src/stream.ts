import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import { formatEventId, parseEventId, type EventLog } from './event-log.ts'

/** A live connection that carries a stream's events: an SSE response, written by the transport. */
export interface StreamSink {
  /** Writes one event. */
  write (id: string, message: JSONRPCMessage): void
  /** Ends the connection; `retryMs` tells the client to reconnect after that long. */
  end (retryMs?: number): void
  /** Runs once the connection is closed, by either side. */
  onClose (listener: () => void): void
}

/**
 * One logical SSE stream of a session: the stream of a POST (its request's messages, then its
 * response) or the standalone stream a GET opens. It outlives its connections: every message
 * is logged, then written to the connection attached now, if any. A client that reconnects with
 * `Last-Event-ID` gets what it missed, then the rest live. Messages keep their order.
 */
export class Stream {
  readonly id: string
  readonly #sessionId: string
  readonly #log: EventLog
  readonly #onComplete: (stream: Stream) => void
  #sink: StreamSink | undefined
  #queue: Promise<void> = Promise.resolve()
  #lastEventId: string
  #completed = false
  #closed = false

  constructor (id: string, sessionId: string, log: EventLog, onComplete: (stream: Stream) => void) {
    this.id = id
    this.#sessionId = sessionId
    this.#log = log
    this.#onComplete = onComplete
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

  /** Logs `message`, then writes it to the attached connection; nothing once the session ended. */
  send (message: JSONRPCMessage): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#closed) return
      const id = await this.#log.append(this.#sessionId, this.id, message)
      this.#lastEventId = id
      this.#sink?.write(id, message)
    })
  }

  /** Sends the stream's last message (a POST's response), if any, and ends it. */
  complete (message?: JSONRPCMessage): Promise<void> {
    const sent = message === undefined ? Promise.resolve() : this.send(message)
    return this.#enqueue(async () => {
      this.#completed = true
      this.#sink?.end()
      this.#sink = undefined
      this.#onComplete(this)
    }).then(() => sent)
  }

  /** The session ended: ends the connection, and nothing more is logged or sent. */
  close (): void {
    this.#closed = true
    this.#sink?.end()
    this.#sink = undefined
  }

  /**
   * Makes `sink` the stream's connection until it closes; the stream then goes on without one.
   * A connection attached before is ended: the newest connection wins.
   */
  attach (sink: StreamSink): void {
    if (this.#sink === sink) return
    this.#sink?.end()
    this.#sink = sink
    sink.onClose(() => {
      if (this.#sink === sink) this.#sink = undefined
    })
  }

  /**
   * Ends the connection but not the stream, once what was sent before is written: with
   * `retryMs`, the client reconnects after that long with `Last-Event-ID` (SSE polling, 2025-11-25).
   */
  disconnect (retryMs?: number): Promise<void> {
    return this.#enqueue(async () => {
      const sink = this.#sink
      this.#sink = undefined
      sink?.end(retryMs)
    })
  }

  /**
   * Writes to `sink` the events after `lastEventId`, then attaches it, with nothing sent in
   * between lost or written twice. A completed stream ends the connection after the replay.
   * Resolves to the number of events replayed.
   */
  resume (sink: StreamSink, lastEventId: string): Promise<number> {
    let replayed = 0
    return this.#enqueue(async () => {
      replayed = await replay(this.#log, this.#sessionId, lastEventId, sink)
      if (this.#completed) sink.end()
      else this.attach(sink)
    }).then(() => replayed)
  }

  #enqueue (work: () => Promise<void>): Promise<void> {
    const done = this.#queue.then(work)
    this.#queue = done.catch(() => {})
    return done
  }
}

/** Writes the logged events after `lastEventId` to `sink`; how many (none for an id not ours). */
export async function replay (log: EventLog, sessionId: string, lastEventId: string, sink: StreamSink): Promise<number> {
  const after = parseEventId(lastEventId)
  if (after === undefined) return 0
  const events = await log.replay(sessionId, after)
  for (const event of events) sink.write(event.id, event.message)
  return events.length
}
