import { ErrorCode, failureChannel, McpError, McpServer, requestIdOf, type FailureEvent } from '@mcp-fastify/mcp-protocol'
import type { McpSessions } from '@mcp-fastify/mcp-session'
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { refusedChannel, type RefusedEvent } from './channels.ts'
import { createDeleteHandler } from './delete.ts'
import { Answering, SessionLoad, useSessions, type Endpoint } from './endpoint.ts'
import { FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED, FST_MCP_TRANSPORT_SESSIONS_SHARED, toJsonRpcError, type McpHttpError } from './errors.ts'
import { createGetHandler } from './get.ts'
import { exposeMcpHeaders } from './headers.ts'
import { LegacySse } from './legacy-sse.ts'
import { resolveSettings, type McpTransportOptions } from './options.ts'
import { OriginGuard } from './origin-guard.ts'
import { createPostHandler } from './post.ts'
import { SseConnections, type SseConnection } from './sse.ts'
import { answerTooLarge } from './too-large.ts'
import { connectionRoom, openFileLimit } from './limits.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The MCP server of this context's endpoint: declare tools, resources and prompts on it. */
    mcp: McpServer
  }
  interface FastifyRequest {
    /**
     * Who the request is from, set by an auth plugin (mcp-oauth: the token's subject). A session
     * is bound to the principal that created it.
     */
    mcpPrincipal: string | null
  }
  interface FastifyContextConfig {
    /** Set on the routes of an MCP endpoint (its URL), so other plugins find them in `onRoute`. */
    mcpEndpoint?: string
  }
}

declare module '@mcp-fastify/mcp-protocol' {
  interface McpContextExtra {
    /** The HTTP request that carried the MCP request. */
    request: FastifyRequest
  }
}

/** How long, at shutdown, the answers of requests cancelled past `drainTimeoutMs` get to be written. */
const CANCELLED_ANSWERS_MS = 1000

/** Which endpoint a session plugin already serves: one session plugin per endpoint. */
const servedEndpoint = new WeakMap<McpSessions, string>()

const mcpTransport: FastifyPluginAsync<McpTransportOptions> = async (app, options) => {
  const { server: given, icons, requestState, caching, tasks, ...rest } = options
  const settings = resolveSettings(rest)
  const server = given ?? new McpServer({
    ...settings.serverInfo,
    icons,
    instructions: settings.instructions,
    pageSize: settings.pageSize,
    requestTimeoutMs: settings.requestTimeoutMs,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    requestState,
    caching,
    tasks
  })
  // Failures of user code go to the request's log, whoever created the server.
  const unlisten = server.onError((error, ctx) => {
    (ctx.extra.request?.log ?? app.log).error({ err: error, method: ctx.method, target: ctx.target }, 'MCP handler failed')
  })
  const connections = new SseConnections(settings.keepAliveMs, settings.maxBufferedBytes)
  const answering = new Answering()
  const endpoint: Endpoint = { server, settings, connections, answering, load: new SessionLoad(settings.maxRequestsPerSession), sessions: undefined }
  const guard = new OriginGuard(settings)
  const url = `${app.prefix}${settings.path}`
  app.decorate('mcp', server)
  if (!app.hasRequestDecorator('mcpPrincipal')) app.decorateRequest('mcpPrincipal', null)

  app.addHook('onReady', async function (this: FastifyInstance) {
    if (!this.hasDecorator('mcpSessions')) return
    const sessions = this.mcpSessions
    const served = servedEndpoint.get(sessions)
    if (served !== undefined) throw new FST_MCP_TRANSPORT_SESSIONS_SHARED(served)
    servedEndpoint.set(sessions, url)
    useSessions(endpoint, sessions)
  })
  app.addHook('onListen', async function (this: FastifyInstance) {
    guard.listening(this.addresses().map((address) => typeof address === 'string' ? { address } : address))
    // The limit a user hits first: every open stream holds a file descriptor.
    const limit = openFileLimit()
    if (limit !== undefined) {
      app.log.info({ openFiles: limit.soft, openFilesHard: limit.hard, connections: connectionRoom(limit) },
        'mcp-transport: the open-file limit allows about this many connections (SSE streams included); raise it with LimitNOFILE (systemd) or ulimits (containers)')
    }
  })
  // Graceful shutdown. SSE responses are long-lived: the resumable ones (GET streams, POST
  // streams of a session) end at once with a retry hint, so clients come back elsewhere (or
  // here, restarted) and resume. Requests in flight get `drainTimeoutMs` to finish, then are
  // cancelled; the remaining SSE answers end with them.
  app.addHook('preClose', async () => {
    // 2026-07-28 listen streams end with their final result, written like any answer below.
    server.closeSubscriptions()
    connections.endAll(endpoint.sessions?.settings.retryMs, resumable)
    // Tasks running here get the same time to finish, then fail saying the node shut down.
    const tasksClosed = server.closeTasks(settings.drainTimeoutMs)
    if (!await answering.settled(settings.drainTimeoutMs)) {
      server.cancelAll(new McpError(ErrorCode.ConnectionClosed, 'Server shutting down'))
      // The cancelled requests answer at once (with an error saying so): let that be written.
      await answering.settled(CANCELLED_ANSWERS_MS)
    }
    await tasksClosed
    connections.endAll()
  })
  // What failed where no client waits for it (here, in the engine, in mcp-session): logged, at
  // most a line a second per action (an outage repeats the same failure on every message).
  const logFailure = failureLogger(app.log)
  failureChannel.subscribe(logFailure)
  app.addHook('onClose', async () => {
    failureChannel.unsubscribe(logFailure)
    unlisten()
    server.close()
    connections.close()
  })

  await app.register(async function mcpEndpoint (scope) {
    // Only JSON bodies, within the endpoint's own limit; anything else is 415. A GET or DELETE
    // means nothing by a body: an empty one under a JSON content type is no body, not an error.
    scope.removeAllContentTypeParsers()
    const json = scope.getDefaultJsonParser('error', 'error')
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: settings.bodyLimit }, (request, body, done) => {
      if (body === '' && request.method !== 'POST') done(null, undefined)
      else json(request, body as string, done)
    })
    scope.setErrorHandler(answerError)
    const routeOptions = { onRequest: guard.hook, bodyLimit: settings.bodyLimit, config: { mcpEndpoint: url } }
    // A GET opens an SSE stream (and takes the session's standalone stream over): no implicit HEAD.
    const streamOptions = { ...routeOptions, exposeHeadRoute: false }
    scope.post(settings.path, routeOptions, answering.track(createPostHandler(endpoint)))
    scope.get(settings.path, streamOptions, createGetHandler(endpoint))
    scope.head(settings.path, routeOptions, headNotAllowed('GET, POST, DELETE'))
    scope.delete(settings.path, routeOptions, createDeleteHandler(endpoint))
    if (settings.legacySse !== false) {
      const { ssePath, messagesPath, maxConnections } = settings.legacySse
      const legacy = new LegacySse(endpoint, `${app.prefix}${messagesPath}`, maxConnections)
      scope.get(ssePath, streamOptions, legacy.stream)
      scope.head(ssePath, routeOptions, headNotAllowed('GET'))
      scope.post(messagesPath, routeOptions, answering.track(legacy.message))
    }
  })
}

function failureLogger (log: FastifyBaseLogger): (message: unknown) => void {
  const lastLine = new Map<string, { at: number, suppressed: number }>()
  return (message) => {
    const { component, action, error } = message as FailureEvent
    const key = `${component} ${action}`
    const now = Date.now()
    const last = lastLine.get(key)
    if (last !== undefined && now - last.at < 1000) {
      last.suppressed++
      return
    }
    log.warn({ err: error, component, action, suppressed: last?.suppressed ?? 0 }, `mcp: failed to ${action}`)
    lastLine.set(key, { at: now, suppressed: 0 })
  }
}

/** GET and legacy streams, and the POST streams of a session: what a client can come back to. */
function resumable (connection: SseConnection): boolean {
  if (connection.kind === 'post') return connection.sessionId !== undefined
  return connection.kind !== 'listen'
}

function headNotAllowed (allow: string) {
  return async function head (_request: FastifyRequest, reply: FastifyReply): Promise<never> {
    reply.header('allow', allow)
    throw new FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED('HEAD opens no stream')
  }
}

function answerError (this: FastifyInstance, error: McpHttpError, request: FastifyRequest, reply: FastifyReply): void {
  // Whatever went wrong, the answer names the request when its body could be read.
  error.requestId ??= requestIdOf(request.body)
  const { status, body } = toJsonRpcError(error)
  if (refusedChannel.hasSubscribers) {
    refusedChannel.publish({ statusCode: status, code: error.code ?? 'ERROR', httpMethod: request.method } satisfies RefusedEvent)
  }
  if (status >= 500) request.log.error({ err: error }, 'MCP request failed')
  exposeMcpHeaders(reply)
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') answerTooLarge(request, reply, body)
  else reply.code(status).send(body)
}

export default fp(mcpTransport, { fastify: '5.x', name: '@mcp-fastify/mcp-transport' })
export { mcpTransport }
export { McpTransportSettingsSchema, type McpTransportOptions, type McpTransportSettings } from './options.ts'
export { errorCodes } from './errors.ts'
export { exposeMcpHeaders } from './headers.ts'
export { refusedChannel, sseCloseChannel, sseOpenChannel, type RefusedEvent, type SseEvent } from './channels.ts'
