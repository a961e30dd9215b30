import type { TSchema } from '@sinclair/typebox'
import { Apps, type AppResourceDefinition } from './apps.ts'
import { requestChannel, type McpRequestEvent } from './channels.ts'
import { ClientRequests } from './client-requests.ts'
import { McpContext, type McpContextExtra, type RequestChannel } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_RESULT, McpError, UserError } from './errors.ts'
import { IdleWaiters } from './idle.ts'
import { CarriedInputSchema, InputRound, type CarriedInput } from './input-round.ts'
import { defineMethods, type Method, type Visibility } from './methods.ts'
import { Prompts, type PromptArguments, type PromptDefinition } from './prompts.ts'
import { dropUndefined, type McpItemConfig, type McpItemKind, type Registration, type Visible } from './registry.ts'
import { paramsDigest, RequestStateCodec, type RequestStateOptions, type StateBinding } from './request-state.ts'
import { Resources, type ResourceDefinition, type ResourceTemplateDefinition } from './resources.ts'
import { RunningRequests } from './running.ts'
import { shapeResult, type CachingOptions } from './revisions.ts'
import {
  clientNotificationParams, EXTENSIONS,
  type CallToolRequestParams, type CancelledNotificationParams, type Icon, type Implementation, type JSONRPCErrorResponse,
  type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse, type RequestId, type ServerCapabilities
} from './schema/index.ts'
import type { ClientSession } from './session.ts'
import { HeldStream, Subscriptions } from './subscriptions.ts'
import type { TaskStore } from './task-store.ts'
import { isCreatedTask, Tasks, type TaskOptions } from './tasks.ts'
import type { HeaderParam } from './tool-headers.ts'
import { Tools, type JsonObjectSchema, type ToolDefinition } from './tools.ts'
import { compile, type Validator } from './validation.ts'
import { versionFeatures, type VersionFeatures } from './versions.ts'

export interface McpServerOptions {
  /** `serverInfo`: the name and version clients see. */
  name: string
  version: string
  title?: string
  description?: string
  websiteUrl?: string
  icons?: Icon[]
  /** How to use this server, for the client's model (`initialize` and `server/discover`). */
  instructions?: string
  /** Items per page of `tools/list`, `resources/list`, `prompts/list`... (default 100). */
  pageSize?: number
  /** How long a handler waits for the client to answer a request (2025 revisions; default 60 000 ms). */
  requestTimeoutMs?: number
  /**
   * Where failures of user code are reported: what a tool, resource, prompt or completion
   * handler throws (other than `McpError` and `UserError`, which are meant for the client), and
   * results that do not fit their method's schema. The client learns nothing of them: a generic
   * `isError` result (tools) or -32603. More listeners can be added with `server.onError()`.
   */
  onError?: ErrorListener
  /**
   * How the `requestState` of 2026-07-28 `input_required` results is sealed: `keys` (the first
   * seals, all open: rotation) and `ttlMs`. By default a random key per process, so a retry that
   * reaches another node of a cluster is refused: give every node the same keys.
   */
  requestState?: RequestStateOptions
  /** Caching hints (`ttlMs`, `cacheScope`) of 2026-07-28 results, per kind; `ttlMs: 0` by default. */
  caching?: CachingOptions
  /** Open `subscriptions/listen` streams at most (default 100 000); past it, -32603. */
  maxSubscriptions?: number
  /**
   * How long a request may run (default 300 000 ms; 0: no limit). Past it the handler's signal is
   * aborted and the client gets an error (-32003 on 2025 traffic, -32603 on 2026-07-28), within a
   * second of the limit. `subscriptions/listen` streams are not limited.
   */
  handlerTimeoutMs?: number
  /**
   * The tasks extension (2026-07-28): where tasks are kept (`store`: this process's memory by
   * default), their TTL, poll interval, bound per principal, and the node lease that tells a
   * running task from one whose node died. See `TaskOptions`.
   */
  tasks?: TaskOptions
}

/** Hears a failure of user code, with the context of the request it happened in. */
export type ErrorListener = (error: unknown, ctx: McpContext) => void

/**
 * Decides whether the client of a request may see and use a tool, resource, template or prompt
 * (an auth plugin checks scopes). What a client may not see is unknown to it: absent from lists,
 * and "unknown tool" (or prompt, or resource not found) when called.
 */
export type McpFilter = (item: { kind: McpItemKind, name: string, config: McpItemConfig | undefined }, ctx: McpContext) => boolean

/** Sent to the clients the transport can reach outside any request; `uri` narrows it to subscribers. */
export type ServerNotificationListener = (notification: JSONRPCNotification, uri?: string) => void

const notificationValidators = new Map<string, Validator>(
  Object.entries(clientNotificationParams).map(([method, schema]) => [method, compile(schema)]))

const carriedInput = compile(CarriedInputSchema)

/** How often running requests are checked against `handlerTimeoutMs`. */
const WATCHDOG_MS = 1000

/**
 * The MCP server side, independent of any transport: a registry of tools, resources and prompts,
 * and the dispatcher that answers JSON-RPC requests about them, for clients of every revision:
 * a 2025 client in its session, a 2026-07-28 client per request. Handlers are written once.
 */
export class McpServer {
  readonly info: Implementation
  readonly instructions: string | undefined
  readonly #errorListeners = new Set<ErrorListener>()
  readonly #tools = new Tools(() => this.#listChanged('tools'), (error, ctx) => this.#report(error, ctx))
  readonly #resources = new Resources(() => this.#listChanged('resources'))
  readonly #prompts = new Prompts(() => this.#listChanged('prompts'))
  readonly #apps = new Apps(this.#resources)
  readonly #tasks: Tasks
  readonly #subscriptions: Subscriptions
  readonly #methods: Map<string, Method>
  /** Every request being answered (for draining at shutdown), with when it started if it has a time limit. */
  readonly #running = new RunningRequests()
  readonly #idle = new IdleWaiters()
  readonly #clientRequests = new ClientRequests()
  readonly #listeners = new Set<ServerNotificationListener>()
  readonly #filters: McpFilter[] = []
  readonly #contextDeps: { clientRequests: ClientRequests, requestTimeoutMs: number }
  readonly #states: RequestStateCodec
  readonly #caching: CachingOptions
  readonly #handlerTimeoutMs: number
  /** Checks, once a second while requests run, for those past `handlerTimeoutMs`. */
  #watchdog: NodeJS.Timeout | undefined
  #capabilities: ServerCapabilities | undefined

  constructor (options: McpServerOptions) {
    const { name, version, title, description, websiteUrl, icons } = options
    this.info = dropUndefined({ name, version, title, description, websiteUrl, icons }) as Implementation
    this.instructions = options.instructions
    if (options.onError !== undefined) this.#errorListeners.add(options.onError)
    this.#contextDeps = { clientRequests: this.#clientRequests, requestTimeoutMs: options.requestTimeoutMs ?? 60_000 }
    this.#states = new RequestStateCodec(options.requestState)
    this.#caching = options.caching ?? {}
    this.#handlerTimeoutMs = options.handlerTimeoutMs ?? 300_000
    this.#subscriptions = new Subscriptions(options.maxSubscriptions ?? 100_000)
    this.#tasks = new Tasks(this.#tools, options.tasks ?? {}, (error, ctx) => this.#report(error, ctx))
    this.#methods = defineMethods({
      tasks: this.#tasks,
      tools: this.#tools,
      resources: this.#resources,
      prompts: this.#prompts,
      subscriptions: this.#subscriptions,
      pageSize: options.pageSize ?? 100,
      info: this.info,
      instructions: this.instructions,
      capabilities: () => this.capabilities(),
      visibility: (ctx) => this.#visibility(ctx)
    })
  }

  tool<I extends TSchema | JsonObjectSchema = TSchema, O extends TSchema | JsonObjectSchema | undefined = undefined> (
    definition: ToolDefinition<I, O>
  ): Registration {
    const { ui } = definition
    // MCP Apps: the tool lists the app it is shown with (its resource declared first).
    const linked = ui === undefined ? definition : { ...definition, _meta: this.#apps.toolMeta(definition.name, ui, definition._meta) }
    return this.#tools.add(linked as unknown as Parameters<Tools['add']>[0])
  }

  /**
   * Declares an MCP App (`io.modelcontextprotocol/ui`): a `ui://` resource of type
   * `text/html;profile=mcp-app` with its `_meta.ui` (CSP, permissions, domain, border), which
   * tools link with `ui: { resourceUri }`. The extension is advertised while one is declared.
   */
  appResource (definition: AppResourceDefinition): Registration {
    return this.#apps.add(definition)
  }

  resource (definition: ResourceDefinition): Registration {
    return this.#resources.add(definition)
  }

  resourceTemplate (definition: ResourceTemplateDefinition): Registration {
    return this.#resources.addTemplate(definition)
  }

  prompt<A extends PromptArguments> (definition: PromptDefinition<A>): Registration {
    return this.#prompts.add(definition as unknown as PromptDefinition)
  }

  /** Tells the clients subscribed to `uri` that it changed (`notifications/resources/updated`). */
  resourceUpdated (uri: string): void {
    this.#broadcast({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri } }, uri)
  }

  /** Adds a filter on what clients see and use; every filter must agree. */
  addFilter (filter: McpFilter): void {
    this.#filters.push(filter)
  }

  /** The `config` of a tool or prompt by name, or of what serves a resource URI. */
  configOf (kind: 'tool' | 'prompt' | 'resource', name: string): McpItemConfig | undefined {
    if (kind === 'tool') return this.#tools.configOf(name)
    if (kind === 'prompt') return this.#prompts.configOf(name)
    return this.#resources.configOf(name)
  }

  /** The parameters tool `name` mirrors in `Mcp-Param-*` headers (2026-07-28 `x-mcp-header`). */
  headerParams (name: string): readonly HeaderParam[] {
    return this.#tools.headerParams(name)
  }

  /** Adds a listener for failures of user code (see `McpServerOptions.onError`). */
  onError (listener: ErrorListener): () => void {
    this.#errorListeners.add(listener)
    return () => this.#errorListeners.delete(listener)
  }

  /** The transport listens here for notifications that belong to no request. */
  onNotification (listener: ServerNotificationListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Delivers a notification that belongs to no request, which another node sent, to the
   * `subscriptions/listen` streams this node holds (it is not sent on to other nodes).
   */
  notifySubscribers (notification: JSONRPCNotification, uri?: string): void {
    this.#subscriptions.deliver(notification, uri)
  }

  /** Ends every `subscriptions/listen` stream with its final result (a shutdown). */
  closeSubscriptions (): void {
    this.#subscriptions.closeAll()
  }

  /** `subscriptions/listen` streams held open right now. */
  get subscriptions (): number {
    return this.#subscriptions.size
  }

  /** What `initialize` and `server/discover` announce, derived from what is registered. */
  capabilities (): ServerCapabilities {
    if (this.#capabilities !== undefined) return this.#capabilities
    const capabilities: ServerCapabilities = { logging: {} }
    if (this.#tools.size > 0) capabilities.tools = { listChanged: true }
    if (this.#resources.size > 0) capabilities.resources = { subscribe: true, listChanged: true }
    if (this.#prompts.size > 0) capabilities.prompts = { listChanged: true }
    if (this.#prompts.size > 0 || this.#resources.size > 0) capabilities.completions = {}
    // Extensions, where they are used: each revision is told those it knows (`revisions.ts`).
    const extensions: Record<string, Record<string, never>> = {}
    if (this.#tools.hasTasks) {
      extensions[EXTENSIONS.tasks] = {}
      // 2025-11-25's experimental tasks (SEP-1686), for tools/call; no tasks/list (tasks are private).
      Object.assign(capabilities, { tasks: { cancel: {}, requests: { tools: { call: {} } } } })
    }
    if (this.#apps.size > 0) extensions[EXTENSIONS.ui] = {}
    if (Object.keys(extensions).length > 0) capabilities.extensions = extensions
    this.#capabilities = capabilities
    return capabilities
  }

  /**
   * Answers one request. Never throws: failures become JSON-RPC errors. Resolves to `undefined`
   * when the client cancelled the request, which then gets no response (utilities/cancellation);
   * a request the server cancels (session end, shutdown) is answered with an error.
   */
  handleRequest (
    request: JSONRPCRequest, session: ClientSession, channel?: RequestChannel, extra: McpContextExtra = {} as McpContextExtra
  ): Promise<JSONRPCResponse | undefined> {
    if (!requestChannel.hasSubscribers) return this.#answer(request, session, channel, extra)
    const params = request.params as { name?: unknown, uri?: unknown, _meta?: Record<string, unknown> } | undefined
    const target = params?.name ?? params?.uri
    const event: McpRequestEvent = {
      method: request.method,
      target: typeof target === 'string' ? target : undefined,
      requestId: request.id,
      session,
      meta: params?._meta,
      extra
    }
    return requestChannel.tracePromise(async () => {
      const response = await this.#answer(request, session, channel, extra)
      if (response === undefined) event.outcome = 'cancelled'
      else if ('error' in response) Object.assign(event, { outcome: 'error', errorCode: response.error.code })
      else event.outcome = response.result.isError === true ? 'tool_error' : 'ok'
      return response
    }, event)
  }

  async #answer (
    request: JSONRPCRequest, session: ClientSession, channel: RequestChannel | undefined, extra: McpContextExtra
  ): Promise<JSONRPCResponse | undefined> {
    const features = versionFeatures(session.protocolVersion)
    const method = this.#methods.get(request.method)
    if (method === undefined || !this.#serves(method, features.era)) {
      return errorResponse(request.id, ErrorCode.MethodNotFound, `Method not found: ${request.method}`)
    }
    if (!method.params.check(request.params)) {
      return errorResponse(request.id, ErrorCode.InvalidParams, `Invalid params: ${method.params.explain(request.params)}`)
    }
    let round: InputRound | undefined
    if (method.input === true && features.clientInput === 'inputRequired') {
      const carried = this.#carried(request, session)
      if (carried === null) {
        // Forged, tampered, expired or another's: nothing runs.
        return errorResponse(request.id, ErrorCode.InvalidParams, 'Invalid or expired requestState', { reason: 'invalid_request_state' })
      }
      const { inputResponses } = request.params as { inputResponses?: Record<string, unknown> }
      round = new InputRound(inputResponses, carried, session.clientCapabilities)
    }
    const ctx = new McpContext(this.#contextDeps, session, request, channel, extra, round)
    // The tasks extension: a required tool without it is -32021 before anything runs.
    const tasking = request.method === 'tools/call'
      ? this.#tasks.plan(request.params as CallToolRequestParams, session, this.#visibility(ctx)?.tool)
      : undefined
    if (tasking instanceof McpError) return errorResponse(request.id, tasking.code, tasking.message, tasking.data)
    const bounded = method.bounded !== false && this.#handlerTimeoutMs > 0
    const running = this.#running.add(ctx, bounded ? Date.now() : undefined)
    if (bounded) this.#watch()
    let held = false
    try {
      const run = async (): Promise<object> => method.handler(request.params as never, ctx)
      const result = tasking === undefined ? await ctx.settle(run()) : await this.#tasks.call(tasking, ctx, run, method.result)
      // A task is answered at once (the engine built it); its handler goes on in the background.
      if (isCreatedTask(result)) return { jsonrpc: '2.0', id: request.id, result: this.#shape(request, session, method, result as Record<string, unknown>) }
      if (result instanceof HeldStream) {
        // A listen stream: answered when it ends. It is not a request running any more (a
        // shutdown ends it with its final result), and it can still be cancelled until then.
        held = true
        return result.ended.then((final) => {
          ctx.finish()
          return { jsonrpc: '2.0', id: request.id, result: this.#shape(request, session, method, final) }
        }, () => {
          ctx.finish()
          return cancelledAnswer(ctx, request.id, features)
        })
      }
      if (ctx.cancelled) return cancelledAnswer(ctx, request.id, features)
      if (round !== undefined && (round.refusal !== undefined || round.pending)) return this.#endRound(request, session, round)
      if (method.result !== undefined && !method.result.check(result)) {
        throw new FST_MCP_PROTOCOL_INVALID_RESULT(describeHandler(ctx), method.result.explain(result))
      }
      return { jsonrpc: '2.0', id: request.id, result: this.#shape(request, session, method, result as Record<string, unknown>) }
    } catch (error) {
      if (ctx.cancelled) return cancelledAnswer(ctx, request.id, features)
      // The handler asked for input it does not have: whatever it did next, the client is asked.
      if (round !== undefined && (round.refusal !== undefined || round.pending)) return this.#endRound(request, session, round)
      if (error instanceof McpError) return errorResponse(request.id, error.code, error.message, error.data)
      if (error instanceof UserError) return errorResponse(request.id, ErrorCode.InternalError, error.message)
      this.#report(error, ctx)
      return errorResponse(request.id, ErrorCode.InternalError, 'Internal error')
    } finally {
      if (!held) ctx.finish()
      this.#running.delete(running)
      if (this.#running.size === 0) this.#idle.wake()
    }
  }

  /** Starts the watchdog of handler time limits, if there is a limit and it is not running. */
  #watch (): void {
    if (this.#watchdog !== undefined) return
    this.#watchdog = setInterval(() => {
      if (this.#running.size === 0) {
        clearInterval(this.#watchdog)
        this.#watchdog = undefined
        return
      }
      const limit = Date.now() - this.#handlerTimeoutMs
      for (const { ctx, startedAt } of this.#running) {
        if (startedAt !== undefined && startedAt <= limit) {
          ctx.cancel(new McpError(ErrorCode.RequestTimeout, `The request ran past the server's limit of ${this.#handlerTimeoutMs} ms`))
        }
      }
    }, WATCHDOG_MS).unref()
  }

  /** Stops the watchdog (the plugin calls this when the app closes). */
  close (): void {
    clearInterval(this.#watchdog)
    this.#watchdog = undefined
    this.#tasks.close()
  }

  /**
   * Keeps tasks in `store` (mcp-session's Redis store, shared by a cluster's nodes) instead of
   * this process's memory, unless the options named a store; before any task is served.
   */
  useTaskStore (store: TaskStore): void {
    this.#tasks.useStore(store)
  }

  /**
   * A shutdown of tasks: those running here get `timeoutMs` to finish, then are stopped and
   * failed, saying the node shut down; new calls of `required` task tools are refused meanwhile.
   */
  closeTasks (timeoutMs: number): Promise<void> {
    return this.#tasks.shutdown(timeoutMs)
  }

  /** Tasks running on this node. */
  get runningTasks (): number {
    return this.#tasks.running
  }

  /** Whether `method` exists in `era`, and (2026-07-28) is behind a capability the server advertises. */
  #serves (method: Method, era: 'legacy' | 'modern'): boolean {
    if (method.era !== undefined && method.era !== era) return false
    return era === 'legacy' || method.advertised === undefined || method.advertised(this.capabilities())
  }

  #shape (request: JSONRPCRequest, session: ClientSession, method: Method, result: Record<string, unknown>): Record<string, unknown> {
    const params = request.params as { inputResponses?: unknown, requestState?: unknown } | undefined
    return shapeResult(request.method, result, {
      session,
      serverInfo: this.info,
      caching: this.#caching,
      personal: this.#filters.length > 0,
      itemHint: method.cacheHint?.(request.params as never),
      retried: params?.inputResponses !== undefined || params?.requestState !== undefined
    })
  }

  /** What a retry's `requestState` carries from earlier rounds; `null` when it does not open. */
  #carried (request: JSONRPCRequest, session: ClientSession): CarriedInput | undefined | null {
    const { requestState } = request.params as { requestState?: string }
    if (requestState === undefined) return undefined
    const opened = this.#states.open(requestState, binding(request, session))
    return opened.ok && carriedInput.check(opened.data) ? opened.data : null
  }

  /** A run that asked: -32021 if it asked what the request cannot be asked, else input_required. */
  #endRound (request: JSONRPCRequest, session: ClientSession, round: InputRound): JSONRPCResponse {
    const { refusal } = round
    if (refusal !== undefined) return errorResponse(request.id, refusal.code, refusal.message, refusal.data)
    const { inputRequests, carry } = round.questions()
    const requestState = this.#states.seal(binding(request, session), carry)
    const result = { resultType: 'input_required', inputRequests, requestState }
    return { jsonrpc: '2.0', id: request.id, result: this.#shape(request, session, this.#methods.get(request.method)!, result) }
  }

  /** Requests being answered right now. */
  get activeRequests (): number {
    return this.#running.size
  }

  /** Resolves to true once no request is being answered, or to false after `timeoutMs`. */
  drain (timeoutMs: number): Promise<boolean> {
    return this.#running.size === 0 ? Promise.resolve(true) : this.#idle.wait(timeoutMs)
  }

  /** Cancels every request in flight (a shutdown past its deadline). */
  cancelAll (reason: Error): void {
    for (const { ctx } of this.#running) ctx.cancel(reason)
    this.#clientRequests.cancelAll(reason)
  }

  /**
   * Acts on a client notification; unknown or malformed ones are ignored, as the spec allows.
   * True when it cancelled a request in flight here (false: it may run on another node).
   */
  handleNotification (notification: JSONRPCNotification, session: ClientSession): boolean {
    const validator = notificationValidators.get(notification.method)
    if (validator === undefined || !validator.check(notification.params)) return false
    if (notification.method !== 'notifications/cancelled' || session.id === undefined) return false
    const { requestId, reason } = notification.params as CancelledNotificationParams
    const ctx = requestId === undefined ? undefined : this.#running.find(session, requestId)
    ctx?.cancel(new Error(reason ?? 'Cancelled by the client'), true)
    return ctx !== undefined
  }

  /** Settles the request the client answers; false when this server awaits no such answer. */
  handleResponse (response: JSONRPCResponse, session: ClientSession): boolean {
    return this.#clientRequests.settle(session.id, response)
  }

  /** Cancels what a session has in flight and what it was asked, when the session ends. */
  closeSession (sessionId: string): void {
    const reason = new McpError(ErrorCode.ConnectionClosed, 'Session closed')
    for (const { ctx } of this.#running) {
      if (ctx.session.id === sessionId) ctx.cancel(reason)
    }
    this.#clientRequests.cancelSession(sessionId, reason)
  }

  #report (error: unknown, ctx: McpContext): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error, ctx)
      } catch {
        // A failing report must not turn the answer into a rejection.
      }
    }
  }

  #visibility (ctx: McpContext): Visibility | undefined {
    if (this.#filters.length === 0) return undefined
    const visible = (kind: McpItemKind): Visible => (name, config) => this.#filters.every((filter) => filter({ kind, name, config }, ctx))
    return { tool: visible('tool'), prompt: visible('prompt'), resource: visible('resource'), template: visible('resourceTemplate') }
  }

  #listChanged (kind: 'tools' | 'resources' | 'prompts'): void {
    this.#capabilities = undefined
    this.#broadcast({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` })
  }

  /** To this node's listen streams, and to the transport (which carries it to sessions and other nodes). */
  #broadcast (notification: JSONRPCNotification, uri?: string): void {
    this.#subscriptions.deliver(notification, uri)
    for (const listener of this.#listeners) listener(notification, uri)
  }
}

/** What a sealed `requestState` is bound to: who asked, and what. */
function binding (request: JSONRPCRequest, session: ClientSession): StateBinding {
  return { principal: session.principal, method: request.method, paramsDigest: paramsDigest(request.params) }
}

/**
 * A request the client cancelled gets no response (utilities/cancellation); one the server gave
 * up on (its session ended, a shutdown) gets an error saying why, so the client can retry.
 */
function cancelledAnswer (ctx: McpContext, id: RequestId, features: VersionFeatures): JSONRPCResponse | undefined {
  const { reason, byClient } = ctx.cancellation!
  if (byClient) return undefined
  // 2026-07-28 defines no code for "the server gave up": an internal error, with the reason.
  if (features.era === 'modern') return errorResponse(id, ErrorCode.InternalError, reason.message)
  return errorResponse(id, reason instanceof McpError ? reason.code : ErrorCode.ConnectionClosed, reason.message)
}

/** `tool "forecast"`, `resource "notes://1"`...: which handler, for the log. */
function describeHandler (ctx: McpContext): string {
  const kind = handlerKinds[ctx.method] ?? ctx.method
  return ctx.target === undefined ? kind : `${kind} "${ctx.target}"`
}

const handlerKinds: Record<string, string> = {
  'tools/call': 'tool',
  'resources/read': 'resource',
  'resources/list': 'a resource template\'s list',
  'prompts/get': 'prompt',
  'completion/complete': 'completer'
}

export function errorResponse (id: RequestId | undefined, code: number, message: string, data?: unknown): JSONRPCErrorResponse {
  const error = data === undefined ? { code, message } : { code, message, data }
  return id === undefined ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error }
}
