import {
  DEFAULT_HTTP_PROTOCOL_VERSION, IdleWaiters, PROTOCOL_VERSIONS, reportFailure, statelessSession,
  type ClientSession, type McpServer, type ProtocolVersion
} from '@mcp-fastify/mcp-protocol'
// Types only: mcp-session is an optional peer, and a stateless install has none.
import type { McpSessions, Session } from '@mcp-fastify/mcp-session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED, FST_MCP_TRANSPORT_SESSION_NOT_FOUND, FST_MCP_TRANSPORT_SESSION_REQUIRED,
  FST_MCP_TRANSPORT_TOO_MANY_REQUESTS
} from './errors.ts'
import { readSessionId } from './headers.ts'
import type { McpTransportSettings } from './options.ts'
import type { SseConnections } from './sse.ts'

/**
 * The handlers of an endpoint's routes still running (a POST answers when its handler returns
 * and its answer is written), so a shutdown can wait for answers, not only for handlers.
 */
export class Answering {
  #running = 0
  readonly #idle = new IdleWaiters()
  // One function for every handler (the handler's own outcome is Fastify's to handle).
  readonly #done = (): void => {
    if (--this.#running === 0) this.#idle.wake()
  }

  track<A extends unknown[], R> (handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args) => {
      const running = handler(...args)
      this.follow(running)
      return running
    }
  }

  /** Counts `answer` until it settles: an answer its handler leaves behind (a listen stream's). */
  follow (answer: Promise<unknown>): void {
    this.#running++
    answer.then(this.#done, this.#done)
  }

  /** Resolves to true once every tracked handler is done, or to false after `timeoutMs`. */
  settled (timeoutMs: number): Promise<boolean> {
    return this.#running === 0 ? Promise.resolve(true) : this.#idle.wait(timeoutMs)
  }
}

/**
 * Requests each session has being answered on this node (JSON answers too), within
 * `maxRequestsPerSession`: past it, 429.
 */
export class SessionLoad {
  // Keyed by the session this node holds, so a count goes with it: nothing to delete when it drops
  // to 0, and no per-request closure to leave by.
  readonly #running = new WeakMap<Session, number>()
  readonly #max: number

  constructor (max: number) {
    this.#max = max
  }

  /** Counts one more request of `session` until `leave`; throws 429 past the limit. */
  enter (session: Session): void {
    const running = this.#running.get(session) ?? 0
    if (running >= this.#max) throw new FST_MCP_TRANSPORT_TOO_MANY_REQUESTS(this.#max)
    this.#running.set(session, running + 1)
  }

  leave (session: Session): void {
    this.#running.set(session, (this.#running.get(session) ?? 1) - 1)
  }
}

/** What the routes of one MCP endpoint share. */
export interface Endpoint {
  readonly server: McpServer
  readonly settings: McpTransportSettings
  readonly connections: SseConnections
  readonly answering: Answering
  readonly load: SessionLoad
  /** The session plugin of the endpoint's context, found when the app is ready; none means stateless. */
  sessions: McpSessions | undefined
}

/**
 * Connects the endpoint's server and its session plugin: a session's end cancels its work here;
 * what another node received for a request of this one (a client's answer, a cancellation)
 * reaches it; notifications outside any request go to the sessions' standalone streams.
 */
export function useSessions (endpoint: Endpoint, sessions: McpSessions): void {
  const { server } = endpoint
  endpoint.sessions = sessions
  // With Redis, tasks are shared: any node answers for a task another runs.
  if (sessions.tasks !== undefined) server.useTaskStore(sessions.tasks)
  sessions.onEnd((sessionId) => server.closeSession(sessionId))
  sessions.onForward((sessionId, message) => {
    sessions.get(sessionId).then((session) => {
      if (session === undefined) return
      if ('method' in message && !('id' in message)) server.handleNotification(message, session)
      else if (!('method' in message)) server.handleResponse(message, session)
    }).catch((error: unknown) => reportFailure('transport', 'take a client message forwarded by another node', error))
  })
  server.onNotification((notification, uri) => sessions.broadcast(notification, uri))
  sessions.onRemoteNotification((notification, uri) => server.notifySubscribers(notification, uri))
}

/** Without sessions there is nothing to stream outside a POST, nor a session to delete. */
export function requireSessions (endpoint: Endpoint, reply: FastifyReply, what: string): McpSessions {
  if (endpoint.sessions === undefined) {
    reply.header('allow', 'POST')
    throw new FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED(`${what} needs sessions (register @mcp-fastify/mcp-session)`)
  }
  return endpoint.sessions
}

/** Who the request is from, as an auth plugin established it (`request.mcpPrincipal`). */
export function principalOf (request: FastifyRequest): string | undefined {
  return request.mcpPrincipal ?? undefined
}

/**
 * The session a request names in `Mcp-Session-Id`: 400 without one, 404 for an unknown one. A
 * session belongs to the principal that created it: presented by anyone else, it is unknown.
 */
export async function requireSession (sessions: McpSessions, request: FastifyRequest, headerVersion?: ProtocolVersion): Promise<Session> {
  const id = readSessionId(request)
  if (id === undefined) throw new FST_MCP_TRANSPORT_SESSION_REQUIRED()
  const session = await sessions.get(id) ?? await recover(sessions, request, id, headerVersion)
  if (session === undefined || session.principal !== principalOf(request)) throw new FST_MCP_TRANSPORT_SESSION_NOT_FOUND()
  return session
}

const SESSION_ID = /^[\x21-\x7e]{1,128}$/

/**
 * Recovery mode (`unknownSessions: 'recover'`): an unknown id becomes a new session for the
 * client presenting it, at the protocol version its header names, with no known capabilities.
 */
async function recover (sessions: McpSessions, request: FastifyRequest, id: string, headerVersion: ProtocolVersion | undefined): Promise<Session | undefined> {
  if (sessions.settings.unknownSessions !== 'recover' || !SESSION_ID.test(id)) return undefined
  request.log.info({ sessionId: id }, 'MCP session recovered')
  return sessions.recover(id, {
    protocolVersion: headerVersion ?? DEFAULT_HTTP_PROTOCOL_VERSION,
    clientCapabilities: {},
    clientInfo: undefined,
    principal: principalOf(request)
  })
}

const stateless = new Map<ProtocolVersion, ClientSession>(PROTOCOL_VERSIONS.map((version) => [version, statelessSession(version)]))

/** The client as seen without sessions: what its `MCP-Protocol-Version` header says, nothing kept. */
export function statelessClient (version: ProtocolVersion = DEFAULT_HTTP_PROTOCOL_VERSION): ClientSession {
  return stateless.get(version)!
}
