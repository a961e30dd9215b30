import {
  DEFAULT_HTTP_PROTOCOL_VERSION, errorResponse, ErrorCode, readMessage, reportFailure, versionFeatures,
  type ClientSession, type InboundMessage, type InitializeRequestParams, type JSONRPCNotification, type JSONRPCRequest, type JSONRPCResponse,
  type ProtocolVersion, type RequestId
} from '@mcp-fastify/mcp-protocol'
import type { Session } from '@mcp-fastify/mcp-session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { principalOf, requireSession, statelessClient, type Endpoint } from './endpoint.ts'
import { classify } from './era.ts'
import { answering, FST_MCP_TRANSPORT_INVALID_MESSAGE } from './errors.ts'
import { acceptsForPost, readProtocolVersion, requireJsonBody, type Accepts } from './headers.ts'
import { PostExchange } from './exchange.ts'
import { createModernPost } from './modern.ts'

interface Client {
  session: ClientSession
  /** The session as the session plugin holds it, when there is one. */
  held: Session | undefined
  protocolVersion: ProtocolVersion
}

/**
 * POST on the endpoint: one JSON-RPC message (or, at 2025-03-26, a batch). Requests are answered
 * as JSON or SSE; notifications and responses get 202 with no body.
 */
export function createPostHandler (endpoint: Endpoint) {
  const { server, settings } = endpoint

  async function client (request: FastifyRequest, headerVersion: ProtocolVersion | undefined): Promise<Client> {
    const sessions = endpoint.sessions
    if (sessions === undefined) {
      const protocolVersion = headerVersion ?? DEFAULT_HTTP_PROTOCOL_VERSION
      return { session: statelessClient(protocolVersion), held: undefined, protocolVersion }
    }
    const held = await requireSession(sessions, request, headerVersion)
    return { session: held, held, protocolVersion: held.protocolVersion }
  }

  /**
   * A notification or a client response. One this node cannot place (an answer to a request
   * another node sent, a cancellation of a request another node runs) goes to the other nodes.
   */
  function receive (inbound: Extract<InboundMessage, { kind: 'notification' | 'response' }>, { session, held }: Client): void {
    const placed = inbound.kind === 'response'
      ? server.handleResponse(inbound.message, session)
      : server.handleNotification(inbound.message, session) || inbound.message.method !== 'notifications/cancelled'
    if (!placed && held !== undefined) {
      endpoint.sessions?.forward(held.id, inbound.message).catch((error: unknown) => reportFailure('transport', 'forward a client message to the other nodes', error))
    }
  }

  function exchange (reply: FastifyReply, accepts: Accepts, { held, protocolVersion }: Client, requestId?: RequestId): PostExchange {
    return new PostExchange({
      requestId,
      reply,
      accepts,
      session: held,
      protocolVersion,
      mode: settings.responseMode,
      connections: endpoint.connections,
      retryMs: endpoint.sessions?.settings.retryMs ?? 0
    })
  }

  async function initialize (request: FastifyRequest, reply: FastifyReply, message: JSONRPCRequest, accepts: Accepts): Promise<void> {
    const response = await server.handleRequest(message, statelessClient(), undefined, { request })
    const sessions = endpoint.sessions
    let protocolVersion: ProtocolVersion = DEFAULT_HTTP_PROTOCOL_VERSION
    if (response !== undefined && 'result' in response) {
      protocolVersion = response.result.protocolVersion as ProtocolVersion
      if (sessions !== undefined) {
        const params = message.params as InitializeRequestParams
        const session = await sessions.create({
          protocolVersion, clientCapabilities: params.capabilities, clientInfo: params.clientInfo, principal: principalOf(request)
        })
        reply.header('mcp-session-id', session.id)
      }
    }
    await exchange(reply, accepts, { session: statelessClient(protocolVersion), held: undefined, protocolVersion }).respond(response)
  }

  async function batch (request: FastifyRequest, reply: FastifyReply, frames: unknown[], accepts: Accepts, headerVersion: ProtocolVersion | undefined): Promise<void> {
    const target = await client(request, headerVersion)
    if (!versionFeatures(target.protocolVersion).batches) {
      throw new FST_MCP_TRANSPORT_INVALID_MESSAGE(`Invalid request: batches are not accepted at protocol version ${target.protocolVersion}`)
    }
    if (frames.length === 0) throw new FST_MCP_TRANSPORT_INVALID_MESSAGE('Invalid request: empty batch')
    const { held } = target
    if (held !== undefined) endpoint.load.enter(held)
    try {
      await answerBatch(request, reply, frames, accepts, target)
    } finally {
      if (held !== undefined) endpoint.load.leave(held)
    }
  }

  async function answerBatch (request: FastifyRequest, reply: FastifyReply, frames: unknown[], accepts: Accepts, target: Client): Promise<void> {
    // Created for the first request only: with responseMode 'sse' it starts the SSE answer.
    let answer: PostExchange | undefined
    const channel = (): PostExchange => (answer ??= exchange(reply, accepts, target))
    const pending: Array<Promise<JSONRPCResponse | undefined>> = []
    for (const frame of frames) {
      const inbound = readMessage(frame)
      if (inbound.kind === 'invalid') {
        pending.push(Promise.resolve(errorResponse(inbound.id, ErrorCode.InvalidRequest, inbound.reason)))
      } else if (inbound.kind !== 'request') {
        receive(inbound, target)
      } else if (inbound.message.method === 'initialize') {
        pending.push(Promise.resolve(errorResponse(inbound.message.id, ErrorCode.InvalidRequest, 'Invalid request: initialize must not be part of a batch')))
      } else {
        pending.push(server.handleRequest(inbound.message, target.session, channel(), { request }))
      }
    }
    if (pending.length === 0) {
      reply.code(202).send()
      return
    }
    const responses = (await Promise.all(pending)).filter((response) => response !== undefined)
    await channel().respond(responses.length === 0 ? undefined : responses)
  }

  const modern = createModernPost(endpoint)

  return async function post (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    requireJsonBody(request)
    const accepts = acceptsForPost(request, settings.strictAccept)
    const body = request.body
    if (Array.isArray(body)) {
      await batch(request, reply, body, accepts, readProtocolVersion(request))
      return reply
    }
    const inbound = readMessage(body)
    if (inbound.kind === 'invalid') throw answering(new FST_MCP_TRANSPORT_INVALID_MESSAGE(inbound.reason), inbound.id)
    const era = classify(request, inbound, server)
    if (era.era === 'modern') return modern(request, reply, inbound.message as JSONRPCRequest | JSONRPCNotification, era, accepts)
    const headerVersion = readProtocolVersion(request)
    if (inbound.kind === 'request' && inbound.message.method === 'initialize') {
      await initialize(request, reply, inbound.message, accepts)
      return reply
    }
    const target = await client(request, headerVersion)
    if (inbound.kind === 'request') {
      const { held } = target
      if (held !== undefined) {
        endpoint.sessions!.requireStreamRoom(held)
        endpoint.load.enter(held)
      }
      try {
        const answer = exchange(reply, accepts, target, inbound.message.id)
        await answer.respond(await server.handleRequest(inbound.message, target.session, answer, { request }))
      } finally {
        if (held !== undefined) endpoint.load.leave(held)
      }
      return reply
    }
    receive(inbound, target)
    return reply.code(202).send()
  }
}
