import { reportFailure } from './channels.ts'
import type { ClientRequests } from './client-requests.ts'
import { ErrorCode, FST_MCP_PROTOCOL_CLIENT_CAPABILITY, FST_MCP_PROTOCOL_NO_CHANNEL, FST_MCP_PROTOCOL_NO_INPUT, McpError } from './errors.ts'
import type { InputRound } from './input-round.ts'
import {
  CreateMessageResultSchema, ElicitResultSchema, ListRootsResultSchema,
  type CreateMessageRequestParams, type CreateMessageResult, type ElicitRequestParams, type ElicitResult,
  type InputRequest, type JSONRPCNotification, type JSONRPCRequest, type ListRootsResult, type LoggingLevel, type RequestId,
  type RequestMeta
} from './schema/index.ts'
import type { ClientSession } from './session.ts'
import { compile, type Validator } from './validation.ts'
import { versionFeatures } from './versions.ts'

/** How the engine reaches the client while it handles one request. */
export interface RequestChannel {
  /** Sends a message related to the request (on its POST stream, when the transport has one). */
  send (message: JSONRPCRequest | JSONRPCNotification): void | Promise<void>
  /**
   * Ends the connection carrying the request's stream but not the stream itself: the client
   * reconnects with `Last-Event-ID` (SSE polling, 2025-11-25). Absent when not resumable.
   */
  closeStream? (retryMs?: number): void
  /**
   * Calls `listener` if the connection carrying the request closes before the answer: on
   * 2026-07-28 traffic a closed response stream is the client's cancellation. Asked only once
   * the handler takes `ctx.signal`, so a request whose handler never looks at it costs nothing.
   */
  onClose? (listener: () => void): void
}

/**
 * What a transport adds to every handler context (the Fastify request, the verified principal).
 * Empty here; the transport and auth plugins augment it with `declare module`.
 */
export interface McpContextExtra {}

export interface ClientRequestOptions {
  /** Milliseconds to wait for the client's answer; the server's `requestTimeoutMs` by default (2025 revisions). */
  timeout?: number
  /**
   * The key of the question in an `input_required` result (2026-07-28), which the client's
   * answer comes back under; by default counted in call order (`elicitation-1`, `sampling-2`...).
   */
  key?: string
}

const LOG_SEVERITY: Record<LoggingLevel, number> = {
  debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5, alert: 6, emergency: 7
}

const validators = {
  'sampling/createMessage': compile(CreateMessageResultSchema),
  'elicitation/create': compile(ElicitResultSchema),
  'roots/list': compile(ListRootsResultSchema)
}

/**
 * @internal What a request's context turns to once the call became a task (tasks extension):
 * questions park the handler until answered through `tasks/update`, progress becomes the task's
 * status message (`TaskRun`).
 */
export interface TaskBinding {
  readonly id: string
  ask<T> (request: InputRequest, key?: string): Promise<T>
  progress (progress: number, total?: number, message?: string): Promise<void>
}

export interface ContextDependencies {
  clientRequests: ClientRequests
  requestTimeoutMs: number
}

/** The second argument of every tool, resource and prompt handler. */
export class McpContext {
  readonly requestId: RequestId
  readonly method: string
  /** The tool or prompt name, or the resource URI, the request is about (for logs and traces). */
  readonly target: string | undefined
  readonly session: ClientSession
  /** The request's `params._meta` (progress token, trace context, ...). */
  readonly meta: RequestMeta | undefined
  readonly extra: McpContextExtra
  readonly #channel: RequestChannel | undefined
  readonly #deps: ContextDependencies
  readonly #round: InputRound | undefined
  #abort: AbortController | undefined
  #interrupt: ((reason: Error) => void) | undefined
  #whenCancelled: Array<(reason: Error) => void> | undefined
  #watchingClose = false
  #cancelled: Error | undefined
  #byClient = false
  #lastProgress = -Infinity
  #done = false
  #task: TaskBinding | undefined
  #startTask: (() => Promise<void>) | undefined

  constructor (
    deps: ContextDependencies, session: ClientSession, request: JSONRPCRequest,
    channel: RequestChannel | undefined, extra: McpContextExtra, round?: InputRound
  ) {
    this.#deps = deps
    this.#round = round
    this.session = session
    this.requestId = request.id
    this.method = request.method
    const params = request.params as { _meta?: RequestMeta, name?: unknown, uri?: unknown } | undefined
    const target = params?.name ?? params?.uri
    this.target = typeof target === 'string' ? target : undefined
    this.meta = params?._meta
    this.#channel = channel
    this.extra = extra
  }

  /**
   * The id of the task this call runs as (tasks extension), once it is one: from the start for a
   * tool that supports tasks, called by a client that declared the extension; after
   * `startTask()` for one declared with `task: { start: 'handler' }`.
   */
  get taskId (): string | undefined {
    return this.#task?.id
  }

  /**
   * From here on, the call runs as a task, when it may (its tool declares `taskSupport` with
   * `task: { start: 'handler' }`, and the client declared the tasks extension): the client is
   * answered with the task at once, and the handler goes on in the background, its questions
   * asked through the task. Otherwise, and once a task, nothing changes. Questions asked before
   * are asked the usual way (2026-07-28: `input_required` rounds), so the task starts with them
   * answered.
   */
  async startTask (): Promise<void> {
    if (this.#task === undefined && this.#startTask !== undefined) await this.#startTask()
  }

  /** @internal the engine lets the handler start a task (`startTask`). */
  allowTask (start: () => Promise<void>): void {
    this.#startTask = start
  }

  /** @internal the call is a task from now on: only the task (cancel, TTL, shutdown) cancels it. */
  becomeTask (binding: TaskBinding): void {
    this.#task = binding
  }

  /** @internal the task is stopped (`tasks/cancel`, its TTL, a shutdown): the signal is aborted. */
  abortTask (reason: Error): void {
    if (this.#cancelled !== undefined) return
    this.#cancelled = reason
    this.#abort?.abort(reason)
  }

  /** Aborted when the client cancels the request or its session ends (a task: cancelled, expired, or its node shuts down). */
  get signal (): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController()
      if (this.#cancelled !== undefined) this.#abort.abort(this.#cancelled)
      else this.#watchClose()
    }
    return this.#abort.signal
  }

  /**
   * @internal Runs `listener` once the request is cancelled (at once if it was): for what the
   * engine holds for a request as long as it lasts (a listen stream), without the AbortController
   * and listener objects of `signal`.
   */
  whenCancelled (listener: (reason: Error) => void): void {
    if (this.#cancelled !== undefined) {
      listener(this.#cancelled)
      return
    }
    (this.#whenCancelled ??= []).push(listener)
    this.#watchClose()
  }

  /** A channel whose closing is the client's cancellation (2026-07-28) cancels the request. */
  #watchClose (): void {
    if (this.#watchingClose) return
    this.#watchingClose = true
    this.#channel?.onClose?.(() => this.cancel(new McpError(ErrorCode.ConnectionClosed, 'The client closed the request\'s stream'), true))
  }

  get cancelled (): boolean {
    return this.#cancelled !== undefined
  }

  /**
   * @internal Why the request was cancelled, and whether by the client (which then gets no
   * response) rather than by the server (its session ended, a shutdown: it gets an error).
   */
  get cancellation (): { reason: Error, byClient: boolean } | undefined {
    return this.#cancelled === undefined ? undefined : { reason: this.#cancelled, byClient: this.#byClient }
  }

  /** @internal the engine calls this for `notifications/cancelled`, when a session ends, at shutdown. */
  cancel (reason: Error, byClient = false): void {
    // A task outlives its request: the request's end, or its stream's, does not stop it.
    if (this.#cancelled !== undefined || this.#done || this.#task !== undefined) return
    this.#cancelled = reason
    this.#byClient = byClient
    this.#abort?.abort(reason)
    this.#interrupt?.(reason)
    for (const listener of this.#whenCancelled ?? []) listener(reason)
  }

  /**
   * @internal The handler's outcome, or, once the request is cancelled (by the client, a time
   * limit, a shutdown), a rejection at once: a handler that ignores its signal does not hold its
   * answer (or a shutdown) back. The handler itself runs on; its result is dropped.
   */
  settle<T> (outcome: Promise<T>): Promise<T> {
    if (this.#cancelled !== undefined) return Promise.reject(this.#cancelled)
    return new Promise<T>((resolve, reject) => {
      this.#interrupt = reject
      outcome.then(resolve, reject)
    })
  }

  /** @internal after the response: progress must stop (utilities/progress). */
  finish (): void {
    this.#done = true
  }

  /**
   * Sends `notifications/message` if the client's log level lets it through. On 2026-07-28
   * traffic nothing is sent unless the request carried a `logLevel`.
   */
  async log (level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    // Tasks carry no notifications (tasks extension): there is no request left to send them on.
    if (this.#task !== undefined) return
    const threshold = this.session.logLevel
    if (threshold === undefined ? versionFeatures(this.session.protocolVersion).logOnlyWhenAsked : LOG_SEVERITY[level] < LOG_SEVERITY[threshold]) return
    await this.notify('notifications/message', logger === undefined ? { level, data } : { level, data, logger })
  }

  /**
   * Sends `notifications/progress` when the client asked for progress (a `progressToken`).
   * Progress must increase: a value not above the last one is not sent. Nothing is sent once the
   * request is answered or cancelled: its token no longer names an active request.
   */
  async progress (progress: number, total?: number, message?: string): Promise<void> {
    // A task's progress is its status message, which `tasks/get` shows.
    if (this.#task !== undefined) return this.#task.progress(progress, total, message)
    const progressToken = this.meta?.progressToken
    if (progressToken === undefined || this.#done || this.#cancelled !== undefined || !(progress > this.#lastProgress)) return
    this.#lastProgress = progress
    const params: Record<string, unknown> = { progressToken, progress }
    if (total !== undefined) params.total = total
    if (message !== undefined) params.message = message
    await this.notify('notifications/progress', params)
  }

  /** Sends a notification related to this request. */
  async notify (method: string, params?: Record<string, unknown>): Promise<void> {
    const channel = this.#requireChannel(method)
    await channel.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params })
  }

  /**
   * Asks the client's model for a completion (`sampling/createMessage`). The same code serves
   * both eras: on 2025 traffic it sends the client a request and awaits the answer; on
   * 2026-07-28 traffic the answer comes with the client's retry (see `InputRound`).
   */
  async sample (params: CreateMessageRequestParams, options?: ClientRequestOptions): Promise<CreateMessageResult> {
    if (this.#task !== undefined || this.#asksByResult()) return this.#input({ method: 'sampling/createMessage', params }, options)
    this.#requireCapability('sampling', this.session.clientCapabilities.sampling !== undefined, 'sampling/createMessage')
    return this.sendRequest('sampling/createMessage', params, validators['sampling/createMessage'], options)
  }

  /** Asks the user for input through the client (`elicitation/create`); both eras, as `sample`. */
  async elicit (params: ElicitRequestParams, options?: ClientRequestOptions): Promise<ElicitResult> {
    // A task asks through the task, in both eras (2025-11-25: relayed by tasks/result).
    if (this.#task !== undefined) return this.#task.ask({ method: 'elicitation/create', params: params as Record<string, unknown> }, options?.key)
    if (this.#asksByResult()) {
      // 2026-07-28 correlates through requestState: URL elicitations carry no id.
      const { elicitationId: _id, ...modern } = params as ElicitRequestParams & { elicitationId?: string }
      return this.#input({ method: 'elicitation/create', params: modern }, options)
    }
    const declared = versionFeatures(this.session.protocolVersion).elicitation &&
      this.session.clientCapabilities.elicitation !== undefined
    this.#requireCapability('elicitation', declared, 'elicitation/create')
    return this.sendRequest('elicitation/create', params, validators['elicitation/create'], options)
  }

  /** Asks the client for its roots (`roots/list`); both eras, as `sample`. */
  async listRoots (options?: ClientRequestOptions): Promise<ListRootsResult> {
    if (this.#task !== undefined || this.#asksByResult()) return this.#input({ method: 'roots/list' }, options)
    this.#requireCapability('roots', this.session.clientCapabilities.roots !== undefined, 'roots/list')
    return this.sendRequest('roots/list', undefined, validators['roots/list'], options)
  }

  /** 2026-07-28: the client is asked through an `input_required` result, not a request. */
  #asksByResult (): boolean {
    return versionFeatures(this.session.protocolVersion).clientInput === 'inputRequired'
  }

  #input<T> (request: InputRequest, options: ClientRequestOptions | undefined): T | Promise<T> {
    // A task asks through its `inputRequests`, and waits for the answer.
    if (this.#task !== undefined) return this.#task.ask<T>(request, options?.key)
    // Only tools/call, prompts/get and resources/read may answer input_required (MRTR).
    if (this.#round === undefined) throw new FST_MCP_PROTOCOL_NO_INPUT(request.method, this.method)
    return this.#round.ask<T>(request, options?.key)
  }

  /**
   * Sends any request to the client and awaits its answer, checked with `validator`. When this
   * request is cancelled or the answer times out, the client is told with `notifications/cancelled`.
   */
  async sendRequest<T> (method: string, params: object | undefined, validator: Validator<T>, options?: ClientRequestOptions): Promise<T> {
    // 2026-07-28: servers MUST NOT send requests to clients.
    if (this.#asksByResult()) throw new FST_MCP_PROTOCOL_NO_INPUT(method, this.method)
    const channel = this.#requireChannel(method)
    // A cancelled request asks the client nothing more.
    if (this.#cancelled !== undefined) throw this.#cancelled
    const { clientRequests, requestTimeoutMs } = this.#deps
    const abandon = (requestId: string, reason: Error): void => {
      const cancelled = { jsonrpc: '2.0' as const, method: 'notifications/cancelled', params: { requestId, reason: reason.message } }
      Promise.resolve().then(() => channel.send(cancelled)).catch((error: unknown) => reportFailure('protocol', `tell the client to stop ${method}`, error))
    }
    const { id, result } = clientRequests.open(this.session.id, method, validator, options?.timeout ?? requestTimeoutMs, abandon)
    // It may be settled (timeout, cancellation, closed session) before it is awaited below, where
    // its rejection is handled: this only keeps it from counting as unhandled meanwhile.
    result.catch(() => {})
    const signal = this.signal
    const onAbort = (): void => clientRequests.cancel(id, this.#cancelled ?? new Error('Request cancelled'))
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const request = params === undefined
        ? { jsonrpc: '2.0' as const, id, method }
        : { jsonrpc: '2.0' as const, id, method, params: params as Record<string, unknown> }
      try {
        await channel.send(request)
      } catch (error) {
        // Not sent: stop waiting for an answer (and free the timer) instead of timing out later.
        clientRequests.cancel(id, error instanceof Error ? error : new Error(String(error)))
        throw error
      }
      return await result as T
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Ends the connection carrying this request's SSE stream, leaving the stream open: the client
   * reconnects after `retryMs` with `Last-Event-ID` and gets what was sent meanwhile. A no-op
   * when the stream is not resumable.
   */
  closeStream (retryMs?: number): void {
    this.#channel?.closeStream?.(retryMs)
  }

  #requireChannel (what: string): RequestChannel {
    if (this.#channel === undefined) throw new FST_MCP_PROTOCOL_NO_CHANNEL(what)
    return this.#channel
  }

  #requireCapability (capability: string, declared: boolean, method: string): void {
    // Without a session the client's capabilities are unknown: let the client decide.
    if (!declared && this.session.id !== undefined) {
      throw new FST_MCP_PROTOCOL_CLIENT_CAPABILITY(capability, method)
    }
  }
}
