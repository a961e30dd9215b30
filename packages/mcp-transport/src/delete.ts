import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireSession, requireSessions, type Endpoint } from './endpoint.ts'
import { readProtocolVersion } from './headers.ts'

/** DELETE on the endpoint ends the session it names (transports: "Session Management"). */
export function createDeleteHandler (endpoint: Endpoint) {
  return async function remove (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const sessions = requireSessions(endpoint, reply, 'DELETE')
    readProtocolVersion(request)
    const session = await requireSession(sessions, request)
    await sessions.delete(session.id)
    return reply.code(204).send()
  }
}
