import { versionFeatures } from '@mcp-fastify/mcp-protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireSession, requireSessions, type Endpoint } from './endpoint.ts'
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
    sessions.requireStreamRoom(session)
    const lastEventId = request.headers['last-event-id']
    const sse = new SseConnection(reply, endpoint.connections, 'get', session.id)
    if (typeof lastEventId === 'string') {
      // Nothing is sent before the replay is known to be whole: a refusal is still a plain error.
      if (await session.resume(lastEventId, sse) === 'invalid') throw new FST_MCP_TRANSPORT_INVALID_EVENT_ID()
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
