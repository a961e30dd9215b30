import type { TestContext } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import mcpTransport, { type McpTransportOptions } from '../src/index.ts'

export interface BuildOptions {
  /** Register mcp-session (with these options); `false` for a stateless endpoint. */
  sessions?: McpSessionOptions | false
  transport?: McpTransportOptions
  /** Declares tools, resources, prompts on the endpoint's server. */
  declare?: (mcp: McpServer) => void
}

/** An app with the plugins under test, closed when the test ends. */
export async function buildApp (t: TestContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.after(() => app.close())
  if (options.sessions !== false) await app.register(mcpSession, options.sessions ?? {})
  await app.register(mcpTransport, options.transport ?? {})
  options.declare?.(app.mcp)
  await app.ready()
  return app
}

export const JSON_AND_SSE = 'application/json, text/event-stream'

export function initializeBody (protocolVersion = '2025-11-25', capabilities: object = {}): object {
  return {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities, clientInfo: { name: 'test-client', version: '1.0.0' } }
  }
}

/** POSTs a JSON-RPC body to `/mcp` with the headers a conforming client sends. */
export function post (app: FastifyInstance, body: unknown, headers: Record<string, string> = {}, url = '/mcp'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  } satisfies InjectOptions)
}

/** Initializes a session; returns its id and the headers later requests carry. */
export async function initialize (app: FastifyInstance, protocolVersion = '2025-11-25', capabilities: object = {}): Promise<{ sessionId: string, headers: Record<string, string> }> {
  const response = await post(app, initializeBody(protocolVersion, capabilities))
  const sessionId = response.headers['mcp-session-id']
  if (response.statusCode !== 200 || typeof sessionId !== 'string') {
    throw new Error(`initialize failed: ${response.statusCode} ${response.body}`)
  }
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion }
  await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)
  return { sessionId, headers }
}

/** Parses an SSE body into its events. */
export function parseSse (body: string): Array<{ id?: string, event?: string, data: string, retry?: number }> {
  return body.split('\n\n').filter((block) => block.trim() !== '' && !block.startsWith(':')).map((block) => {
    const event: { id?: string, event?: string, data: string, retry?: number } = { data: '' }
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      const field = line.slice(0, colon)
      const value = line.slice(colon + 1).replace(/^ /, '')
      if (field === 'data') event.data += value
      else if (field === 'id') event.id = value
      else if (field === 'event') event.event = value
      else if (field === 'retry') event.retry = Number(value)
    }
    return event
  })
}
