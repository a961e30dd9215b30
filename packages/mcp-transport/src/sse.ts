import type { OutgoingHttpHeaders } from 'node:http'
import { inSlices, LinkedList, type JSONRPCMessage, type Link } from '@mcp-fastify/mcp-protocol'
import type { StreamSink } from '@mcp-fastify/mcp-session'
import type { FastifyReply } from 'fastify'
import { sseCloseChannel, sseOpenChannel, type SseEvent } from './channels.ts'
import { exposeMcpHeaders } from './headers.ts'

const KEEPALIVE = ': keepalive\n\n'
/** Connections kept alive before the event loop gets a turn. */
const KEEPALIVE_SLICE = 1000

/**
 * One `text/event-stream` response. Frames follow the SSE format: `id:` (when the message is
 * resumable), `event: message`, `data:` with the JSON, and a blank line.
 */
export class SseConnection implements StreamSink {
  readonly kind: SseEvent['kind']
  readonly sessionId: string | undefined
  readonly #reply: FastifyReply
  readonly #connections: SseConnections
  #open = true
  #started = false
  /** Over the backlog limit at the end of a turn of the event loop, and not drained since. */
  #congested = false
  #measuring = false
  /**
   * What was written since the stream started, until the end of that turn of the event loop
   * (then `undefined`): it goes out with the headers in one write, or, when the stream ends
   * within the turn (an answer ready at once), with the end of the response: one write in all.
   */
  #pending: string | undefined
  /** Its place among the endpoint's open connections, once started. */
  #link: Link<SseConnection> | undefined
  /** What runs once the response closes (see `onClose`): one listener on the response for all. */
  #closeListeners: Array<() => void> | undefined

  constructor (reply: FastifyReply, connections: SseConnections, kind: SseEvent['kind'], sessionId: string | undefined) {
    this.#reply = reply
    this.#connections = connections
    this.kind = kind
    this.sessionId = sessionId
    reply.raw.on('close', () => { this.#closed() })
  }

  /**
   * Takes the response over from Fastify and sends the headers; done by the first write if not
   * before (a resume starts the stream only once its replay is known to be whole).
   */
  start (): this {
    if (this.#started) return this
    this.#started = true
    const reply = this.#reply
    exposeMcpHeaders(reply)
    reply.hijack()
    // Fastify's headers, in an object of their own (`getHeaders` copies them).
    const headers = reply.getHeaders() as OutgoingHttpHeaders
    headers['content-type'] = 'text/event-stream'
    headers['cache-control'] = 'no-cache, no-transform'
    headers.connection = 'keep-alive'
    // Reverse proxies (nginx) must pass events on at once, not buffer them.
    headers['x-accel-buffering'] = 'no'
    reply.raw.writeHead(200, headers)
    // The headers go out with what is written in this turn; a stream with nothing to say yet
    // flushes them alone, so the client sees it open.
    this.#pending = ''
    flushAtEndOfTurn(this)
    this.#link = this.#connections.add(this)
    return this
  }

  get open (): boolean {
    return this.#open
  }

  /**
   * The priming event (2025-11-25): an id and an empty `data`, so the client has a
   * `Last-Event-ID` before anything else arrives, and the reconnection delay.
   */
  prime (id: string, retryMs: number): void {
    this.#write(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`)
  }

  write (id: string | undefined, message: JSONRPCMessage, json?: string): void {
    const data = json ?? JSON.stringify(message)
    this.#write(id === undefined ? `event: message\ndata: ${data}\n\n` : `event: message\nid: ${id}\ndata: ${data}\n\n`)
  }

  /** A named event, for the deprecated HTTP+SSE transport (`endpoint`). */
  event (name: string, data: string): void {
    this.#write(`event: ${name}\ndata: ${data}\n\n`)
  }

  keepAlive (): void {
    this.#write(KEEPALIVE)
  }

  end (retryMs?: number): void {
    if (!this.#open) return
    this.start()
    this.#open = false
    this.#connections.delete(this.#link!)
    const last = `${this.#pending ?? ''}${retryMs === undefined ? '' : `retry: ${retryMs}\n\n`}`
    this.#pending = undefined
    if (last === '') this.#reply.raw.end()
    else this.#reply.raw.end(last)
  }

  /** Runs `listener` once the response closes, by either side (at once if it is closed or ended). */
  onClose (listener: () => void): void {
    if (this.#open) (this.#closeListeners ??= []).push(listener)
    else listener()
  }

  #closed (): void {
    this.#open = false
    if (this.#link !== undefined) this.#connections.delete(this.#link)
    const listeners = this.#closeListeners
    this.#closeListeners = undefined
    for (const listener of listeners ?? []) listener()
  }

  #write (chunk: string): void {
    if (!this.#open) return
    this.start()
    if (this.#pending !== undefined) this.#pending += chunk
    else this.#send(chunk)
  }

  /**
   * @internal The end of the turn the stream started in: what was written meanwhile goes, with
   * the headers.
   */
  flush (): void {
    const pending = this.#pending
    this.#pending = undefined
    if (pending === undefined || !this.#open) return
    const raw = this.#reply.raw
    if (pending === '') raw.flushHeaders()
    else this.#send(pending)
    if (this.kind !== 'post') compactHeader(raw)
  }

  #send (chunk: string): void {
    const raw = this.#reply.raw
    raw.write(chunk)
    const limit = this.#connections.maxBufferedBytes
    if (raw.writableLength <= limit) return
    // A client that does not read: close rather than buffer without end; it can resume.
    // Node's http corks the socket for the current turn of the event loop, so what was written
    // in this turn (a replay, one large message) is not a backlog yet: it becomes one when it is
    // still there once the turn is over, and the client has not drained it by the next write.
    if (this.#congested) {
      this.#open = false
      raw.destroy()
    } else if (!this.#measuring) {
      this.#measuring = true
      setImmediate(() => {
        this.#measuring = false
        if (!this.#open || raw.writableLength <= limit) return
        this.#congested = true
        raw.once('drain', () => { this.#congested = false })
      })
    }
  }
}

/** Connections started in this turn of the event loop, flushed together once it is over. */
let starting: SseConnection[] | undefined

function flushAtEndOfTurn (connection: SseConnection): void {
  if (starting === undefined) {
    const connections: SseConnection[] = starting = []
    setImmediate(() => {
      starting = undefined
      for (const started of connections) started.flush()
    })
  }
  starting.push(connection)
}

/**
 * Node keeps a response's header block (`_header`) for as long as the response lives, as built:
 * a rope of one string per piece concatenated, about 900 bytes where the flat text is 300. A
 * stream held open for hours keeps it flat: `Buffer.byteLength` flattens a string in place.
 */
function compactHeader (raw: FastifyReply['raw']): void {
  const header: unknown = (raw as { _header?: unknown })._header
  if (typeof header === 'string') Buffer.byteLength(header)
}

/** The open SSE connections of one endpoint: kept alive together, ended together on shutdown. */
export class SseConnections {
  readonly maxBufferedBytes: number
  readonly #open = new LinkedList<SseConnection>()
  #timer: NodeJS.Timeout | undefined

  constructor (keepAliveMs: number, maxBufferedBytes: number) {
    this.maxBufferedBytes = maxBufferedBytes
    // One timer for every connection, one prebuilt comment, written in slices so that tens of
    // thousands of streams do not hold the event loop for one long turn.
    if (keepAliveMs > 0) {
      this.#timer = setInterval(() => {
        inSlices(this.#open[Symbol.iterator](), (connection) => {
          connection.keepAlive()
          return true
        }, KEEPALIVE_SLICE)
      }, keepAliveMs).unref()
    }
  }

  get size (): number {
    return this.#open.size
  }

  /** Adds `connection`; what is returned takes it out again (`delete`). */
  add (connection: SseConnection): Link<SseConnection> {
    const link = this.#open.add(connection)
    if (sseOpenChannel.hasSubscribers) sseOpenChannel.publish({ kind: connection.kind, sessionId: connection.sessionId } satisfies SseEvent)
    return link
  }

  delete (link: Link<SseConnection>): void {
    if (!this.#open.delete(link)) return
    const connection = link.value
    if (sseCloseChannel.hasSubscribers) sseCloseChannel.publish({ kind: connection.kind, sessionId: connection.sessionId } satisfies SseEvent)
  }

  /** Ends every connection (those `which` picks); with `retryMs`, clients are told when to come back. */
  endAll (retryMs?: number, which: (connection: SseConnection) => boolean = () => true): void {
    for (const connection of [...this.#open]) {
      if (which(connection)) connection.end(retryMs)
    }
  }

  close (): void {
    clearInterval(this.#timer)
    this.endAll()
  }
}
