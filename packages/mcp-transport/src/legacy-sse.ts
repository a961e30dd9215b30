import { randomUUID } from 'node:crypto'
import {
  inSlices, LATEST_PROTOCOL_VERSION, readMessage,
  type ClientCapabilities, type ClientSession, type Implementation, type InitializeRequestParams,
  type JSONRPCNotification, type LoggingLevel, type ProtocolVersion, type RequestChannel
} from '@mcp-fastify/mcp-protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { principalOf, type Endpoint } from './endpoint.ts'
import {
  FST_MCP_TRANSPORT_INVALID_MESSAGE, FST_MCP_TRANSPORT_SESSION_NOT_FOUND, FST_MCP_TRANSPORT_TOO_MANY_CONNECTIONS, type McpHttpError
} from './errors.ts'
import { requireEventStream, requireJsonBody } from './headers.ts'
import { SseConnection } from './sse.ts'

/** A client of the deprecated transport: its state lives as long as its SSE connection. */
class LegacyClient implements ClientSession, RequestChannel {
  readonly id: string
  readonly principal: string | undefined
  readonly sse: SseConnection
  protocolVersion: ProtocolVersion = LATEST_PROTOCOL_VERSION
  clientCapabilities: ClientCapabilities = {}
  clientInfo: Implementation | undefined
  logLevel: LoggingLevel | undefined
  readonly subscriptions = new Set<string>()

  constructor (id: string, sse: SseConnection, principal: string | undefined) {
    this.id = id
    this.sse = sse
    this.principal = principal
  }

  setLogLevel (level: LoggingLevel): void { this.logLevel = level }
  subscribe (uri: string): void { this.subscriptions.add(uri) }
  unsubscribe (uri: string): void { this.subscriptions.delete(uri) }

  send (message: Parameters<RequestChannel['send']>[0]): void {
    this.sse.write(undefined, message)
  }
}

/**
 * The HTTP+SSE transport of 2024-11-05, deprecated since 2025-03-26, for old clients: a GET
 * opens an SSE stream whose first event (`endpoint`) names the URL to POST messages to; every
 * answer travels on that stream. Served by the same engine as the Streamable HTTP endpoint.
 */
export class LegacySse {
  readonly #endpoint: Endpoint
  readonly #clients = new Map<string, LegacyClient>()
  readonly #messagesUrl: string
  readonly #maxConnections: number

  constructor (endpoint: Endpoint, messagesUrl: string, maxConnections: number) {
    this.#endpoint = endpoint
    this.#messagesUrl = messagesUrl
    this.#maxConnections = maxConnections
    endpoint.server.onNotification((notification, uri) => this.#broadcast(notification, uri))
  }

  stream = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    requireEventStream(request)
    if (this.#clients.size >= this.#maxConnections) throw new FST_MCP_TRANSPORT_TOO_MANY_CONNECTIONS(this.#maxConnections)
    const id = randomUUID()
    const client = new LegacyClient(id, new SseConnection(reply, this.#endpoint.connections, 'legacy', id).start(), principalOf(request))
    this.#clients.set(client.id, client)
    client.sse.onClose(() => {
      this.#clients.delete(client.id)
      this.#endpoint.server.closeSession(client.id)
    })
    client.sse.event('endpoint', `${this.#messagesUrl}?sessionId=${encodeURIComponent(client.id)}`)
    return reply
  }

  message = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    requireJsonBody(request)
    const { sessionId } = request.query as { sessionId?: string }
    const client = this.#clients.get(sessionId ?? '')
    // Bound to who opened the stream: another principal's token finds no such session.
    if (client === undefined || client.principal !== principalOf(request)) throw new FST_MCP_TRANSPORT_SESSION_NOT_FOUND()
    const inbound = readMessage(request.body)
    if (inbound.kind === 'invalid') {
      const error: McpHttpError = new FST_MCP_TRANSPORT_INVALID_MESSAGE(inbound.reason)
      error.requestId = inbound.id
      throw error
    }
    const { server } = this.#endpoint
    reply.code(202).send('Accepted')
    if (inbound.kind === 'notification') server.handleNotification(inbound.message, client)
    else if (inbound.kind === 'response') server.handleResponse(inbound.message, client)
    else {
      const response = await server.handleRequest(inbound.message, client, client, { request })
      if (inbound.message.method === 'initialize' && response !== undefined && 'result' in response) {
        const params = inbound.message.params as InitializeRequestParams
        client.protocolVersion = response.result.protocolVersion as ProtocolVersion
        client.clientCapabilities = params.capabilities
        client.clientInfo = params.clientInfo
      }
      if (response !== undefined) client.sse.write(undefined, response)
    }
    return reply
  }

  /** Serialized once for every client, written in slices (`inSlices`). */
  #broadcast (notification: JSONRPCNotification, uri: string | undefined): void {
    const json = JSON.stringify(notification)
    inSlices(this.#clients.values(), (client) => {
      if (uri !== undefined && !client.subscriptions.has(uri)) return false
      client.sse.write(undefined, notification, json)
      return true
    })
  }
}
