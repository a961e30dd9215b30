import type { Static, TSchema } from '@sinclair/typebox'
import { requestChannel, type McpRequestEvent } from './channels.ts'
import { ClientRequests } from './client-requests.ts'
import { complete } from './completion.ts'
import { McpContext, type McpContextExtra, type RequestChannel } from './context.ts'
import { ErrorCode, FST_MCP_PROTOCOL_INVALID_RESULT, McpError, UserError } from './errors.ts'
import { paginate } from './pagination.ts'
import { Prompts, type PromptArguments, type PromptDefinition } from './prompts.ts'
import { dropUndefined, type McpItemConfig, type McpItemKind, type Registration, type Visible } from './registry.ts'
import { Resources, type ResourceDefinition, type ResourceTemplateDefinition } from './resources.ts'
import {
  clientNotificationParams, clientRequestParams, serverResults,
  type CancelledNotificationParams, type Icon, type Implementation, type JSONRPCErrorResponse,
  type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse, type RequestId, type ServerCapabilities
} from './schema/index.ts'
import type { ClientSession } from './session.ts'
import { Tools, type JsonObjectSchema, type ToolDefinition } from './tools.ts'
import { compile, type Validator } from './validation.ts'
import { negotiateVersion } from './versions.ts'

export interface McpServerOptions {
  /** `serverInfo`: the name and version clients see. */
  name: string
  version: string
  title?: string
  description?: string
  websiteUrl?: string
  icons?: Icon[]
  /** How to use this server, for the client's model (`InitializeResult.instructions`). */
  instructions?: string
  /** Items per page of `tools/list`, `resources/list`, `prompts/list`... (default 100). */
  pageSize?: number
  /** How long a handler waits for the client to answer a request (default 60 000 ms). */
  requestTimeoutMs?: number
  /**
   * Where failures of user code are reported: what a tool, resource, prompt or completion
   * handler throws (other than `McpError` and `UserError`, which are meant for the client), and
   * results that do not fit their method's schema. The client learns nothing of them: a generic
   * `isError` result (tools) or -32603. More listeners can be added with `server.onError()`.
   */
  onError?: ErrorListener
}

/** Hears a failure of user code, with the context of the request it happened in. */
export type ErrorListener = (error: unknown, ctx: McpContext) => void

/**
 * Decides whether the client of a request may see and use a tool, resource, template or prompt
 * (an auth plugin checks scopes). What a client may not see is unknown to it: absent from lists,
 * and "unknown tool" (or prompt, or resource not found) when called.
 */
export type McpFilter = (item: { kind: McpItemKind, name: string, config: McpItemConfig | undefined }, ctx: McpContext) => boolean

interface Visibility {
  tool: Visible
  prompt: Visible
  resource: Visible
  template: Visible
}

/** Sent to the clients the transport can reach outside any request; `uri` narrows it to subscribers. */
export type ServerNotificationListener = (notification: JSONRPCNotification, uri?: string) => void

type MethodHandler = (params: never, ctx: McpContext) => object | Promise<object>

interface Method {
  params: Validator
  handler: MethodHandler
  /** Checks results that come from user code; what the engine builds itself is trusted. */
  result: Validator | undefined
}

const notificationValidators = new Map<string, Validator>(
  Object.entries(clientNotificationParams).map(([method, schema]) => [method, compile(schema)]))

/**
 * The MCP server side, independent of any transport: a registry of tools, resources and prompts,
 * and the dispatcher that answers JSON-RPC requests about them for one client session at a time.
 */
export class McpServer {
  readonly info: Implementation
  readonly instructions: string | undefined
  readonly #pageSize: number
  readonly #errorListeners = new Set<ErrorListener>()
  readonly #tools = new Tools(() => this.#listChanged('tools'), (error, ctx) => this.#report(error, ctx))
  readonly #resources = new Resources(() => this.#listChanged('resources'))
  readonly #prompts = new Prompts(() => this.#listChanged('prompts'))
  readonly #methods = new Map<string, Method>()
  readonly #inflight = new Map<string, McpContext>()
  /** Every request being answered, for draining at shutdown. */
  readonly #active = new Set<McpContext>()
  readonly #idle: Array<() => void> = []
  readonly #clientRequests = new ClientRequests()
  readonly #listeners = new Set<ServerNotificationListener>()
  readonly #filters: McpFilter[] = []
  readonly #contextDeps: { clientRequests: ClientRequests, requestTimeoutMs: number }

  constructor (options: McpServerOptions) {
    const { name, version, title, description, websiteUrl, icons } = options
    this.info = dropUndefined({ name, version, title, description, websiteUrl, icons }) as Implementation
    this.instructions = options.instructions
    this.#pageSize = options.pageSize ?? 100
    if (options.onError !== undefined) this.#errorListeners.add(options.onError)
    this.#contextDeps = { clientRequests: this.#clientRequests, requestTimeoutMs: options.requestTimeoutMs ?? 60_000 }
    this.#defineMethods()
  }

  tool<I extends TSchema | JsonObjectSchema = TSchema, O extends TSchema | JsonObjectSchema | undefined = undefined> (
    definition: ToolDefinition<I, O>
  ): Registration {
    return this.#tools.add(definition as unknown as Parameters<Tools['add']>[0])
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

  /** What `initialize` announces, derived from what is registered. */
  capabilities (): ServerCapabilities {
    const capabilities: ServerCapabilities = { logging: {} }
    if (this.#tools.size > 0) capabilities.tools = { listChanged: true }
    if (this.#resources.size > 0) capabilities.resources = { subscribe: true, listChanged: true }
    if (this.#prompts.size > 0) capabilities.prompts = { listChanged: true }
    if (this.#prompts.size > 0 || this.#resources.size > 0) capabilities.completions = {}
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
    const method = this.#methods.get(request.method)
    if (method === undefined) {
      return errorResponse(request.id, ErrorCode.MethodNotFound, `Method not found: ${request.method}`)
    }
    if (!method.params.check(request.params)) {
      return errorResponse(request.id, ErrorCode.InvalidParams, `Invalid params: ${method.params.explain(request.params)}`)
    }
    const ctx = new McpContext(this.#contextDeps, session, request, channel, extra)
    const key = session.id === undefined ? undefined : inflightKey(session.id, request.id)
    if (key !== undefined) this.#inflight.set(key, ctx)
    this.#active.add(ctx)
    try {
      const result = await method.handler(request.params as never, ctx)
      if (ctx.cancelled) return cancelledAnswer(ctx, request.id)
      if (method.result !== undefined && !method.result.check(result)) {
        throw new FST_MCP_PROTOCOL_INVALID_RESULT(describeHandler(ctx), method.result.explain(result))
      }
      return { jsonrpc: '2.0', id: request.id, result: result as Record<string, unknown> }
    } catch (error) {
      if (ctx.cancelled) return cancelledAnswer(ctx, request.id)
      if (error instanceof McpError) return errorResponse(request.id, error.code, error.message, error.data)
      if (error instanceof UserError) return errorResponse(request.id, ErrorCode.InternalError, error.message)
      this.#report(error, ctx)
      return errorResponse(request.id, ErrorCode.InternalError, 'Internal error')
    } finally {
      ctx.finish()
      if (key !== undefined) this.#inflight.delete(key)
      this.#active.delete(ctx)
      if (this.#active.size === 0 && this.#idle.length > 0) for (const wake of this.#idle.splice(0)) wake()
    }
  }

  /** Requests being answered right now. */
  get activeRequests (): number {
    return this.#active.size
  }

  /** Resolves to true once no request is being answered, or to false after `timeoutMs`. */
  drain (timeoutMs: number): Promise<boolean> {
    if (this.#active.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs).unref()
      this.#idle.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  /** Cancels every request in flight (a shutdown past its deadline). */
  cancelAll (reason: Error): void {
    for (const ctx of this.#active) ctx.cancel(reason)
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
    const ctx = requestId === undefined ? undefined : this.#inflight.get(inflightKey(session.id, requestId))
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
    for (const ctx of this.#inflight.values()) {
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

  /** Defines a method; with `userResults`, what its handler returns comes from user code and is checked. */
  #define<S extends TSchema> (
    name: keyof typeof clientRequestParams, schema: S, handler: (params: Static<S>, ctx: McpContext) => object | Promise<object>,
    userResults = false
  ): void {
    const result = userResults ? resultValidators.get(name) : undefined
    this.#methods.set(name, { params: compile(schema), handler: handler as MethodHandler, result })
  }

  #defineMethods (): void {
    const p = clientRequestParams
    const size = this.#pageSize
    this.#define('initialize', p.initialize, (params) => ({
      protocolVersion: negotiateVersion(params.protocolVersion),
      capabilities: this.capabilities(),
      serverInfo: this.info,
      ...(this.instructions === undefined ? {} : { instructions: this.instructions })
    }))
    this.#define('ping', p.ping, () => ({}))
    this.#define('tools/list', p['tools/list'], (params, ctx) => {
      const { items, nextCursor } = paginate(this.#tools.list(this.#visibility(ctx)?.tool), params?.cursor, size)
      return nextCursor === undefined ? { tools: items } : { tools: items, nextCursor }
    })
    this.#define('tools/call', p['tools/call'], (params, ctx) => this.#tools.call(params, ctx, this.#visibility(ctx)?.tool), true)
    this.#define('resources/list', p['resources/list'], async (params, ctx) => {
      const { items, nextCursor } = paginate(await this.#resources.list(ctx, this.#visibility(ctx)), params?.cursor, size)
      return nextCursor === undefined ? { resources: items } : { resources: items, nextCursor }
    }, true)
    this.#define('resources/templates/list', p['resources/templates/list'], (params, ctx) => {
      const { items, nextCursor } = paginate(this.#resources.listTemplates(this.#visibility(ctx)), params?.cursor, size)
      return nextCursor === undefined ? { resourceTemplates: items } : { resourceTemplates: items, nextCursor }
    })
    this.#define('resources/read', p['resources/read'], (params, ctx) => this.#resources.read(params.uri, ctx, this.#visibility(ctx)), true)
    this.#define('resources/subscribe', p['resources/subscribe'], async (params, ctx) => {
      await ctx.session.subscribe(params.uri)
      return {}
    })
    this.#define('resources/unsubscribe', p['resources/unsubscribe'], async (params, ctx) => {
      await ctx.session.unsubscribe(params.uri)
      return {}
    })
    this.#define('prompts/list', p['prompts/list'], (params, ctx) => {
      const { items, nextCursor } = paginate(this.#prompts.list(this.#visibility(ctx)?.prompt), params?.cursor, size)
      return nextCursor === undefined ? { prompts: items } : { prompts: items, nextCursor }
    })
    this.#define('prompts/get', p['prompts/get'], (params, ctx) => this.#prompts.get(params, ctx, this.#visibility(ctx)?.prompt), true)
    this.#define('completion/complete', p['completion/complete'], (params, ctx) => {
      const { ref, argument } = params
      const visibility = this.#visibility(ctx)
      const completer = ref.type === 'ref/prompt'
        ? this.#prompts.completer(ref.name, argument.name, visibility?.prompt)
        : this.#resources.completer(ref.uri, argument.name, visibility)
      return complete(completer, argument.value, params.context?.arguments ?? {}, ctx)
    }, true)
    this.#define('logging/setLevel', p['logging/setLevel'], async (params, ctx) => {
      await ctx.session.setLogLevel(params.level)
      return {}
    })
  }

  #visibility (ctx: McpContext): Visibility | undefined {
    if (this.#filters.length === 0) return undefined
    const visible = (kind: McpItemKind): Visible => (name, config) => this.#filters.every((filter) => filter({ kind, name, config }, ctx))
    return { tool: visible('tool'), prompt: visible('prompt'), resource: visible('resource'), template: visible('resourceTemplate') }
  }

  #listChanged (kind: 'tools' | 'resources' | 'prompts'): void {
    this.#broadcast({ jsonrpc: '2.0', method: `notifications/${kind}/list_changed` })
  }

  #broadcast (notification: JSONRPCNotification, uri?: string): void {
    for (const listener of this.#listeners) listener(notification, uri)
  }
}

/**
 * A request the client cancelled gets no response (utilities/cancellation); one the server gave
 * up on (its session ended, a shutdown) gets an error saying why, so the client can retry.
 */
function cancelledAnswer (ctx: McpContext, id: RequestId): JSONRPCResponse | undefined {
  const { reason, byClient } = ctx.cancellation!
  if (byClient) return undefined
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

const resultValidators = new Map<string, Validator>(Object.entries(serverResults).map(([method, schema]) => [method, compile(schema)]))

function inflightKey (sessionId: string, requestId: RequestId): string {
  return `${sessionId} ${typeof requestId} ${requestId}`
}

export function errorResponse (id: RequestId | undefined, code: number, message: string, data?: unknown): JSONRPCErrorResponse {
  const error = data === undefined ? { code, message } : { code, message, data }
  return id === undefined ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error }
}
