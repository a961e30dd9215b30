import { createServer } from 'node:net'
import type { TestContext } from 'node:test'
import type { McpOAuthOptions } from '@mcp-fastify/mcp-oauth'
import { ADMIN_SCOPE, buildSecuredApp, startDevAuthorizationServer, TOOLS_SCOPE, type DevAuthorizationServer, type DevAuthorizationServerOptions } from '@mcp-fastify/example-secured'
import type { FastifyInstance } from 'fastify'
import { request, type Dispatcher } from 'undici'

export const CLIENT = { id: 'service-a', secret: 'secret-a' }
export const OTHER_CLIENT = { id: 'service-b', secret: 'secret-b' }
export const RESOURCE_SERVER_CLIENT = { id: 'mcp-resource-server', secret: 'rs-secret' }

/** A free loopback port (the app's resource URL must be known before it listens). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** A development authorization server (oidc-provider) on 127.0.0.1, closed when the test ends. */
export async function authorizationServer (t: TestContext, options: Partial<DevAuthorizationServerOptions> = {}): Promise<DevAuthorizationServer> {
  const server = await startDevAuthorizationServer({
    resources: [],
    scopes: [TOOLS_SCOPE, ADMIN_SCOPE],
    clients: [
      { clientId: CLIENT.id, clientSecret: CLIENT.secret },
      { clientId: OTHER_CLIENT.id, clientSecret: OTHER_CLIENT.secret },
      { clientId: RESOURCE_SERVER_CLIENT.id, clientSecret: RESOURCE_SERVER_CLIENT.secret }
    ],
    ...options
  })
  t.after(() => server.close())
  return server
}

export interface SecuredServer {
  app: FastifyInstance
  as: DevAuthorizationServer
  /** `http://127.0.0.1:<port>/mcp`: the endpoint and the resource. */
  url: string
  base: string
}

/** The secured example app, trusting `as`, listening on 127.0.0.1; closed when the test ends. */
export async function securedServer (t: TestContext, as: DevAuthorizationServer, oauth: Partial<McpOAuthOptions> = {}): Promise<SecuredServer> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const url = `${base}/mcp`
  as.allowResource(url)
  const app = await buildSecuredApp({ issuer: as.issuer, publicUrl: url, oauth })
  t.after(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  return { app, as, url, base }
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
}

/** A POST of JSON-RPC to the endpoint over real HTTP. */
export async function postMcp (url: string, body: unknown, headers: Record<string, string> = {}, dispatcher?: Dispatcher): Promise<Answer> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
    dispatcher
  })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1.0.0' } }
}

/** Parses a `WWW-Authenticate: Bearer k="v", ...` header. */
export function parseChallenge (header: unknown): Record<string, string> {
  if (typeof header !== 'string') throw new Error(`no WWW-Authenticate header (got ${String(header)})`)
  const match = /^Bearer (.*)$/.exec(header)
  if (match === null) throw new Error(`not a Bearer challenge: ${header}`)
  const params: Record<string, string> = {}
  for (const [, key, value] of match[1]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) params[key!] = value!.replace(/\\(.)/g, '$1')
  return params
}
