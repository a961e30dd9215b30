import {
  reportFailure, versionFeatures, type JSONRPCMessage, type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse,
  type ProtocolVersion, type RequestChannel, type RequestId
} from '@mcp-fastify/mcp-protocol'
import type { Session, Stream } from '@mcp-fastify/mcp-session'
import type { FastifyReply } from 'fastify'
import { exposeMcpHeaders, type Accepts } from './headers.ts'
import type { McpTransportSettings } from './options.ts'
import type { SseEvent } from './channels.ts'
import { SseConnection, type SseConnections } from './sse.ts'

export interface ExchangeOptions {
  reply: FastifyReply
  accepts: Accepts
  session: Session | undefined
  protocolVersion: ProtocolVersion
  mode: McpTransportSettings['responseMode']
  connections: SseConnections
  /** The `retry` hint of priming events, when the session plugin is there. */
  retryMs: number
  /** What the SSE answer counts as (default `post`; a 2026-07-28 `subscriptions/listen` stream: `listen`). */
  kind?: SseEvent['kind']
  /** 2026-07-28: a closed response stream cancels the request (see `RequestChannel.onClose`). */
  cancelOnClose?: boolean
  /**
   * The request the answer is to (not for a batch): its stream names it, so a node the client
   * resumes on can answer it when this node goes away before it does.
   */
  requestId?: RequestId
}

/**
 * The answer to one POST that carries requests. It starts undecided: when a handler sends a
 * message before its result (and the client takes SSE), the answer becomes an SSE stream that
 * carries those messages and then the result; otherwise the result goes back as plain JSON.
 * Messages sent after the answer is complete go to the session's standalone stream.
 */
export class PostExchange implements RequestChannel {
  readonly #options: ExchangeOptions
  #sse: SseConnection | undefined
  #stream: Stream | undefined
  #done = false

  constructor (options: ExchangeOptions) {
    this.#options = options
    if (options.mode === 'sse' && options.accepts.sse) this.#startStream()
  }

  /**
   * With `cancelOnClose`: runs `listener` if the connection closes before the answer was sent
   * (at once if it already did).
   */
  onClose (listener: () => void): void {
    if (this.#done || this.#options.cancelOnClose !== true) return
    const raw = this.#options.reply.raw
    if (raw.destroyed) listener()
    else if (this.#sse !== undefined) this.#sse.onClose(() => { if (!this.#done) listener() })
    else raw.once('close', () => { if (!this.#done) listener() })
  }

  send (message: JSONRPCRequest | JSONRPCNotification): Promise<void> | void {
    const { mode, accepts, session } = this.#options
    if (this.#done || (this.#sse === undefined && (mode === 'json' || !accepts.sse))) {
      // The session's standalone stream carries it, wherever its GET connection is.
      return session?.openStandalone().send(message)
    }
    return this.#deliver(message)
  }

  /**
   * Polling (2025-11-25): ends the connection but not the stream; the client reconnects with
   * `Last-Event-ID`. Only for sessions whose clients understand priming events.
   */
  closeStream (retryMs?: number): void {
    const { session, protocolVersion, accepts, mode } = this.#options
    // `json` promises a JSON answer: there is no stream to close.
    if (this.#done || mode === 'json' || session === undefined || !accepts.sse || !versionFeatures(protocolVersion).primingEvents) return
    if (this.#sse === undefined) this.#startStream()
    this.#stream?.disconnect(retryMs ?? this.#options.retryMs).catch((error: unknown) => reportFailure('transport', 'close a stream\'s connection for polling', error))
  }

  /**
   * Sends the answer: one response, a batch of them, or nothing (every request was cancelled),
   * as JSON (with `status`) when the answer is still undecided and the client takes JSON.
   */
  async respond (responses: JSONRPCResponse | JSONRPCResponse[] | undefined, status = 200): Promise<void> {
    this.#done = true
    const { reply, accepts } = this.#options
    if (this.#sse === undefined && (accepts.json || responses === undefined)) {
      exposeMcpHeaders(reply)
      if (responses === undefined) reply.code(204).send()
      else reply.code(status).send(responses)
      return
    }
    if (this.#sse === undefined) this.#startStream()
    const list = responses === undefined ? [] : Array.isArray(responses) ? responses : [responses]
    const last = list.pop()
    for (const response of list) await this.#deliver(response)
    if (this.#stream !== undefined) {
      await this.#stream.complete(last)
    } else {
      if (last !== undefined) this.#sse!.write(undefined, last)
      this.#sse!.end()
    }
  }

  #deliver (message: JSONRPCMessage): Promise<void> | void {
    if (this.#sse === undefined) this.#startStream()
    return this.#stream === undefined ? this.#sse!.write(undefined, message) : this.#stream.send(message)
  }

  #startStream (): void {
    const { reply, session, connections, protocolVersion, retryMs, kind = 'post', requestId } = this.#options
    const sse = new SseConnection(reply, connections, kind, session?.id).start()
    this.#sse = sse
    if (session === undefined) return
    // With a session, the stream is logged and resumable.
    const stream = session.openStream(requestId)
    this.#stream = stream
    if (versionFeatures(protocolVersion).primingEvents) sse.prime(stream.lastEventId, retryMs)
    stream.attach(sse).catch((error: unknown) => reportFailure('transport', 'attach an SSE connection to its stream', error))
  }
}
