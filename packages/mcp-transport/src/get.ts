import { versionFeatures } from '@mcp-fastify/mcp-protocol'
import { parseEventId } from '@mcp-fastify/mcp-session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireSession, requireSessions, requireStreamRoom, type Endpoint } from './endpoint.ts'
import { FST_MCP_TRANSPORT_INVALID_EVENT_ID } from './errors.ts'
import { readProtocolVersion, requireEventStream } from './headers.ts'
import { SseConnection } from './sse.ts'

/**
 * GET on the endpoint: the session's standalone SSE stream, for messages outside any request,
 * or, with `Last-Event-ID`, the resumption of the stream that id names (a POST's or this one).
 * A new GET stream replaces the previous connection of the session's standalone stream.
 */
export function createGetHandler (endpoint: Endpoint) {
  return async function get (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const sessions = requireSessions(endpoint, reply, 'A GET stream')
    requireEventStream(request)
    const session = await requireSession(sessions, request, readProtocolVersion(request))
    requireStreamRoom(session, sessions)
    const lastEventId = request.headers['last-event-id']
    if (typeof lastEventId === 'string' && parseEventId(lastEventId) === undefined) throw new FST_MCP_TRANSPORT_INVALID_EVENT_ID()
    const sse = new SseConnection(reply, endpoint.connections, 'get', session.id)
    if (typeof lastEventId === 'string') {
      // Nothing is sent before the replay is known to be whole: a refusal is still a plain error.
      await session.resume(lastEventId, sse)
      sse.start()
    } else {
      sse.start()
      const stream = session.openStandalone()
      if (versionFeatures(session.protocolVersion).primingEvents) sse.prime(stream.lastEventId, sessions.settings.retryMs)
      await stream.attach(sse)
    }
    return reply
  }
}
