import {
  DEFAULT_HTTP_PROTOCOL_VERSION, PROTOCOL_VERSIONS, statelessSession,
  type ClientSession, type McpServer, type ProtocolVersion
} from '@mcp-fastify/mcp-protocol'
import type { McpSessions, Session } from '@mcp-fastify/mcp-session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED, FST_MCP_TRANSPORT_SESSION_NOT_FOUND, FST_MCP_TRANSPORT_SESSION_REQUIRED
} from './errors.ts'
import { readSessionId } from './headers.ts'
import type { McpTransportSettings } from './options.ts'
import type { SseConnections } from './sse.ts'

/** What the routes of one MCP endpoint share. */
export interface Endpoint {
  readonly server: McpServer
  readonly settings: McpTransportSettings
  readonly connections: SseConnections
  /** The session plugin of the endpoint's context, found when the app is ready; none means stateless. */
  sessions: McpSessions | undefined
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
export async function requireSession (sessions: McpSessions, request: FastifyRequest): Promise<Session> {
  const id = readSessionId(request)
  if (id === undefined) throw new FST_MCP_TRANSPORT_SESSION_REQUIRED()
  const session = await sessions.get(id)
  if (session === undefined || session.principal !== principalOf(request)) throw new FST_MCP_TRANSPORT_SESSION_NOT_FOUND()
  return session
}

const stateless = new Map<ProtocolVersion, ClientSession>(PROTOCOL_VERSIONS.map((version) => [version, statelessSession(version)]))

/** The client as seen without sessions: what its `MCP-Protocol-Version` header says, nothing kept. */
export function statelessClient (version: ProtocolVersion = DEFAULT_HTTP_PROTOCOL_VERSION): ClientSession {
  return stateless.get(version)!
}
