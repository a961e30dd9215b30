import cors, { type FastifyCorsOptions } from '@fastify/cors'
import mcpOAuth, { type McpOAuthOptions } from '@mcp-fastify/mcp-oauth'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

/** The MCP Inspector's web UI, as a browser opens it (`npx @modelcontextprotocol/inspector`). */
export const INSPECTOR_ORIGINS = ['http://localhost:6274', 'http://127.0.0.1:6274']

/**
 * What `@fastify/cors` needs for MCP browser clients on `origins`.
 *
 * - `origin`: the exact origins allowed; a request from one of them gets
 *   `Access-Control-Allow-Origin` naming it, any other gets no CORS headers, so its browser
 *   refuses to let the page send or read anything that needs them.
 * - `methods`: POST (every JSON-RPC message), GET (the session's SSE stream), DELETE (ending a
 *   session). DELETE is not a CORS-safelisted method, so without it a page cannot end its session.
 * - No `allowedHeaders`: the answer to a preflight repeats the headers the page asked for. MCP
 *   clients send `Content-Type`, `Accept`, `Authorization`, `Mcp-Session-Id`,
 *   `Mcp-Protocol-Version`, `Last-Event-ID`, and in 2026-07-28 `Mcp-Method`, `Mcp-Name` and
 *   `Mcp-Param-*` headers, whose names depend on the tool, so no fixed list would do.
 * - No `exposedHeaders`: the transport adds `Mcp-Session-Id` and `WWW-Authenticate` to
 *   `Access-Control-Expose-Headers` on every answer that carries `Access-Control-Allow-Origin`.
 * - No `credentials`: MCP clients send bearer tokens, not cookies.
 * - `maxAge`: a browser asks again at most every 10 minutes, not before every request.
 */
export function mcpCorsOptions (origins: string[]): FastifyCorsOptions {
  return { origin: origins, methods: ['GET', 'POST', 'DELETE'], maxAge: 600 }
}

export interface BrowserAppOptions {
  /** The origins of the pages allowed to use the endpoint (`scheme://host:port`, no path). */
  origins: string[]
  /** Protect the endpoint with mcp-oauth: a browser client then reads the 401's `WWW-Authenticate`. */
  oauth?: McpOAuthOptions
  fastify?: FastifyServerOptions
}

/**
 * An MCP endpoint at /mcp that pages on `options.origins` can use from the browser: CORS for
 * those origins, and the transport's Origin check allowing the same list (any other origin that
 * gets a request through, without CORS, is answered 403).
 */
export async function buildBrowserApp (options: BrowserAppOptions): Promise<FastifyInstance> {
  const app = Fastify(options.fastify)
  // First, so that its headers are on every answer, the auth plugin's 401 and the transport's
  // 403 and 404 included: a page can read an error only when the answer allows its origin.
  await app.register(cors, mcpCorsOptions(options.origins))
  if (options.oauth !== undefined) await app.register(mcpOAuth, options.oauth)
  await app.register(mcpSession)
  await app.register(mcpTransport, {
    path: '/mcp',
    serverInfo: { name: 'browser-notes', version: '1.0.0', title: 'Notes for browser clients' },
    // The transport's own check, by the same list. By default, while it listens on loopback only,
    // it allows every loopback origin; with the list, only these.
    allowedOrigins: options.origins
  })

  const notes = ['Welcome: this server answers MCP clients running in a browser.']
  app.mcp.tool({
    name: 'add_note',
    title: 'Add a note',
    description: 'Adds a note',
    inputSchema: Type.Object({ text: Type.String({ minLength: 1 }) }),
    handler: ({ text }) => {
      notes.push(text)
      return { content: [{ type: 'text', text: `Note ${notes.length} added.` }] }
    }
  })
  app.mcp.tool({
    name: 'list_notes',
    title: 'List the notes',
    description: 'Every note, one a line',
    annotations: { readOnlyHint: true },
    handler: () => ({ content: [{ type: 'text', text: notes.join('\n') }] })
  })
  return app
}
