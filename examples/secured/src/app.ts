import mcpOAuth, { type McpOAuthOptions } from '@mcp-fastify/mcp-oauth'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

export { startDevAuthorizationServer, type DevAuthorizationServer, type DevAuthorizationServerOptions } from './dev-authorization-server.ts'

/** What a token must grant to use the tools, and the one tool that needs more. */
export const TOOLS_SCOPE = 'mcp:tools'
export const ADMIN_SCOPE = 'mcp:admin'

export interface SecuredAppOptions {
  /** The trusted authorization server's issuer URL. */
  issuer: string
  /** The public URL of the MCP endpoint (the resource tokens must be issued for). */
  publicUrl: string
  /** More mcp-oauth options (a dispatcher, rate limits, introspection...). */
  oauth?: Partial<McpOAuthOptions>
  fastify?: FastifyServerOptions
}

/**
 * An MCP endpoint at /mcp that only holders of a token from `issuer`, issued for `publicUrl`,
 * may use: tools need `mcp:tools`; `server_stats` needs `mcp:admin` as well.
 */
export async function buildSecuredApp (options: SecuredAppOptions): Promise<FastifyInstance> {
  const app = Fastify(options.fastify)
  // Before the transport, in the same context: its hooks must see the endpoint's routes.
  await app.register(mcpOAuth, {
    issuer: options.issuer,
    resource: options.publicUrl,
    defaultScopes: { tool: [TOOLS_SCOPE] },
    scopesSupported: [TOOLS_SCOPE, ADMIN_SCOPE],
    resourceName: 'Secured notes',
    rateLimit: { max: 600, timeWindowMs: 60_000, tools: { server_stats: { max: 10, timeWindowMs: 60_000 } } },
    ...options.oauth
  })
  await app.register(mcpSession)
  await app.register(mcpTransport, {
    path: '/mcp',
    serverInfo: { name: 'secured-notes', version: '1.0.0', title: 'Secured notes' },
    // Served behind a public URL, maybe another host name than the loopback one.
    allowedHosts: ['localhost', '127.0.0.1', '[::1]', new URL(options.publicUrl).hostname]
  })

  const notes: string[] = ['Welcome to the secured notes.']
  app.mcp.tool({
    name: 'whoami',
    title: 'Who am I',
    description: 'Says who the token belongs to and what it grants',
    annotations: { readOnlyHint: true },
    handler: (_args, ctx) => {
      const auth = ctx.extra.request.mcpAuth
      return { content: [{ type: 'text', text: JSON.stringify({ principal: auth?.principal, clientId: auth?.clientId, scopes: auth?.scopes }) }] }
    }
  })
  app.mcp.tool({
    name: 'add_note',
    title: 'Add a note',
    description: 'Adds a note, signed by the caller',
    inputSchema: Type.Object({ text: Type.String({ minLength: 1 }) }),
    handler: ({ text }, ctx) => {
      notes.push(`${text} (by ${ctx.extra.request.mcpPrincipal ?? 'nobody'})`)
      return { content: [{ type: 'text', text: `Note ${notes.length} added.` }] }
    }
  })
  app.mcp.tool({
    name: 'echo',
    description: 'Echoes its text',
    inputSchema: Type.Object({ text: Type.String() }),
    handler: ({ text }) => ({ content: [{ type: 'text', text }] })
  })
  app.mcp.tool({
    name: 'server_stats',
    title: 'Server statistics',
    description: 'How many notes there are (administrators only)',
    annotations: { readOnlyHint: true },
    config: { scopes: [TOOLS_SCOPE, ADMIN_SCOPE] },
    handler: () => ({ content: [{ type: 'text', text: `${notes.length} notes` }] })
  })
  app.mcp.resource({
    uri: 'notes://all',
    name: 'notes',
    description: 'Every note',
    mimeType: 'text/plain',
    read: (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: notes.join('\n') }] })
  })
  app.get('/', async () => ({ name: 'secured-notes', mcp: options.publicUrl, issuer: options.issuer }))
  return app
}
