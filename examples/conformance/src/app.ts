import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import mcpTransport, { type McpTransportOptions } from '@mcp-fastify/mcp-transport'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { declareFixtures } from './fixtures.ts'

export interface ConformanceAppOptions {
  fastify?: FastifyServerOptions
  session?: McpSessionOptions
  /**
   * How 2026-07-28 `requestState` is sealed; by default a random key per process, so the nodes
   * of a cluster need the same `keys` for a round trip to continue on any of them.
   */
  requestState?: McpTransportOptions['requestState']
  /** How requests are answered (mcp-transport's `responseMode`; `auto` by default). */
  responseMode?: McpTransportOptions['responseMode']
}

/** The server the official conformance suite judges: sessions on, every fixture declared. */
export async function buildConformanceApp (options: ConformanceAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options.fastify)
  await app.register(mcpSession, options.session ?? {})
  await app.register(mcpTransport, {
    path: '/mcp',
    legacySse: true,
    serverInfo: { name: 'mcp-fastify-conformance', version: '0.1.0' },
    ...(options.requestState === undefined ? {} : { requestState: options.requestState }),
    ...(options.responseMode === undefined ? {} : { responseMode: options.responseMode })
  })
  declareFixtures(app.mcp)
  return app
}

export { declareFixtures }
