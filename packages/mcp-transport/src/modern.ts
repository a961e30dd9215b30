import { envelopeSession, ErrorCode, reportFailure, type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse } from '@mcp-fastify/mcp-protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { principalOf, type Endpoint } from './endpoint.ts'
import type { Era } from './era.ts'
import { FST_MCP_TRANSPORT_NOT_ACCEPTABLE } from './errors.ts'
import { PostExchange } from './exchange.ts'
import type { Accepts } from './headers.ts'

/**
 * The HTTP status of a 2026-07-28 JSON error answer: the transport's own refusals (headers,
 * envelope, version, a capability the request did not declare) are 400, an unknown method 404;
 * errors of the method itself (an unknown tool, a bad cursor) are answers like any other, 200.
 */
const STATUS_OF_CODE = new Map<number, number>([
  [ErrorCode.MethodNotFound, 404],
  [ErrorCode.HeaderMismatch, 400],
  [ErrorCode.MissingRequiredClientCapability, 400],
  [ErrorCode.UnsupportedProtocolVersion, 400]
])

function statusOf (response: JSONRPCResponse | undefined): number {
  return response !== undefined && 'error' in response ? STATUS_OF_CODE.get(response.error.code) ?? 200 : 200
}

/**
 * A 2026-07-28 POST: one request, answered on its own (no session, nothing kept), as JSON or as
 * an SSE stream of its own notifications then its result, without event ids (nothing resumes).
 * The connection closing first is the client's cancellation. A `subscriptions/listen` request is
 * a stream that stays open until the server ends it. A notification gets 202 and nothing else:
 * on HTTP, closing a stream is how a client cancels.
 */
export function createModernPost (endpoint: Endpoint) {
  const { server, settings, connections } = endpoint

  return async function modern (
    request: FastifyRequest, reply: FastifyReply, message: JSONRPCRequest | JSONRPCNotification,
    era: Extract<Era, { era: 'modern' }>, accepts: Accepts
  ): Promise<FastifyReply> {
    if (!('id' in message)) return reply.code(202).send()
    const listen = message.method === 'subscriptions/listen'
    if (listen && !accepts.sse) throw new FST_MCP_TRANSPORT_NOT_ACCEPTABLE('text/event-stream')
    const session = envelopeSession(era.version, era.envelope, principalOf(request))
    const answer = new PostExchange({
      reply,
      accepts,
      session: undefined,
      protocolVersion: era.version,
      // A listen stream turns into SSE with its acknowledgement; a refusal before it is JSON.
      mode: listen ? 'auto' : settings.responseMode,
      connections,
      retryMs: 0,
      kind: listen ? 'listen' : 'post',
      cancelOnClose: true
    })
    const handled = server.handleRequest(message, session, answer, { request })
    if (listen) {
      // A listen stream is answered when it ends, maybe hours later: this handler returns now
      // rather than wait in a suspended frame (one per stream), and the shutdown waits for the
      // answer instead (see `Answering`).
      endpoint.answering.follow(handled.then((response) => answer.respond(response, statusOf(response)))
        .catch((error: unknown) => reportFailure('transport', 'answer a listen stream', error)))
      return reply
    }
    const response = await handled
    await answer.respond(response, statusOf(response))
    return reply
  }
}
