import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport, { type McpTransportOptions } from '@mcp-fastify/mcp-transport'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import mcpOAuth, { type McpOAuthOptions } from '../src/index.ts'

export interface SigningKey {
  kid: string
  alg: 'ES256' | 'RS256'
  privateKey: KeyObject
  publicJwk: Record<string, unknown>
}

export function signingKey (alg: 'ES256' | 'RS256' = 'ES256', kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { kid, alg, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}

/** A promise and what opens it. */
function gate (): { promise: Promise<void>, open: () => void } {
  let open = (): void => {}
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A compact JWS signed with `key` (header fields overridable, to forge bad tokens). */
export function signJwt (key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })}.${b64(claims)}`
  const signature = key.alg === 'ES256'
    ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign('sha256', Buffer.from(input), key.privateKey)
  return `${input}.${signature.toString('base64url')}`
}

/**
 * A tiny issuer over real HTTP on 127.0.0.1: RFC 8414 metadata, a JWKS, an RFC 7662 introspection
 * endpoint over tokens it was told about; it counts the requests it gets. The unit tests' stand-in
 * for an authorization server, where each claim must be forged precisely; the end-to-end tests
 * (test/oauth*.test.ts) use oidc-provider.
 */
export class FixtureIssuer {
  issuer = ''
  readonly keys: SigningKey[] = [signingKey()]
  readonly hits = new Map<string, number>()
  readonly active = new Map<string, Record<string, unknown>>()
  /** Paths answered 404 (to test discovery order). */
  readonly missing = new Set<string>()
  /** Paths answered with this status and `{ error }` (an issuer having a bad day). */
  readonly failing = new Map<string, number>()
  /** Paths whose JSON answer is padded to at least this many bytes (`chunked`: sent without Content-Length). */
  readonly padded = new Map<string, { bytes: number, chunked?: boolean }>()
  /** Paths that get no answer until `release()` (a slow issuer). */
  readonly held = new Set<string>()
  /** More fields of the metadata document (`scopes_supported`...). */
  metadataExtra: Record<string, unknown> = {}
  introspectionCredentials = 'rs:secret'
  readonly #server: Server
  #released = gate()
  readonly #waiters: Array<{ path: string, count: number, resolve: () => void }> = []

  constructor () {
    this.#server = createServer((request, response) => { this.#handle(request, response).catch(() => response.destroy()) })
  }

  static async start (t: TestContext): Promise<FixtureIssuer> {
    const fixture = new FixtureIssuer()
    await new Promise<void>((resolve) => fixture.#server.listen(0, '127.0.0.1', resolve))
    fixture.issuer = `http://127.0.0.1:${(fixture.#server.address() as AddressInfo).port}`
    t.after(() => new Promise<void>((resolve) => {
      fixture.#server.closeAllConnections()
      fixture.#server.close(() => resolve())
    }))
    return fixture
  }

  get key (): SigningKey {
    return this.keys[0]!
  }

  count (path: string): number {
    return this.hits.get(path) ?? 0
  }

  /** Resolves once `path` has been asked `count` times in all. */
  received (path: string, count = 1): Promise<void> {
    if (this.count(path) >= count) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ path, count, resolve }))
  }

  /** Answers what was held, and holds nothing from now on. */
  release (): void {
    this.held.clear()
    this.#released.open()
    this.#released = gate()
  }

  /** A valid access token for `resource`, claims overridable. */
  token (resource: string, claims: Record<string, unknown> = {}, key = this.key): string {
    const now = Math.floor(Date.now() / 1000)
    return signJwt(key, { iss: this.issuer, sub: 'alice', aud: resource, iat: now, exp: now + 300, scope: 'mcp', client_id: 'client-1', ...claims })
  }

  async #handle (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.issuer).pathname
    this.hits.set(path, this.count(path) + 1)
    for (const waiter of [...this.#waiters]) {
      if (waiter.path === path && this.count(path) >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
    if (this.held.has(path)) await this.#released.promise
    const json = (status: number, body: unknown): void => {
      const padding = this.padded.get(path)
      if (padding === undefined) {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
        return
      }
      const text = JSON.stringify({ ...(body as object), padding: 'x'.repeat(padding.bytes) })
      if (padding.chunked !== true) {
        response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
        return
      }
      response.writeHead(status, { 'content-type': 'application/json' })
      // Small chunks, as a hostile server drips them; what the client reads first decides.
      for (let offset = 0; offset < text.length; offset += 16_384) response.write(text.slice(offset, offset + 16_384))
      response.end()
    }
    if (this.missing.has(path)) return json(404, { error: 'not_found' })
    const failing = this.failing.get(path)
    if (failing !== undefined) return json(failing, { error: 'server_error', error_description: `internal detail of ${this.issuer}: db at 10.0.0.5 is down` })
    if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        introspection_endpoint: `${this.issuer}/introspect`,
        code_challenge_methods_supported: ['S256'],
        ...this.metadataExtra
      })
    }
    if (path === '/jwks') return json(200, { keys: this.keys.map((key) => key.publicJwk) })
    if (path === '/introspect') {
      const expected = `Basic ${Buffer.from(this.introspectionCredentials).toString('base64')}`
      if (request.headers.authorization !== expected) return json(401, { error: 'invalid_client' })
      let body = ''
      for await (const chunk of request) body += String(chunk)
      const token = new URLSearchParams(body).get('token') ?? ''
      const claims = this.active.get(token)
      return json(200, claims === undefined ? { active: false } : { active: true, ...claims })
    }
    json(404, { error: 'not_found' })
  }
}

export interface SecuredOptions {
  oauth?: Partial<McpOAuthOptions>
  transport?: McpTransportOptions
  sessions?: boolean
  /** Runs before mcp-oauth is registered (app-level hooks that must see every request first). */
  before?: (app: FastifyInstance) => void
  declare?: (app: FastifyInstance) => void
  /** Log lines are collected here (JSON objects, every level). */
  logs?: LogLine[]
}

export type LogLine = Record<string, unknown> & { level: number, msg?: string }

/** A Fastify logger option that collects every line into `lines`. */
export function collectingLogger (lines: LogLine[]): FastifyServerOptions['logger'] {
  return { level: 'trace', stream: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } } }
}

export const RESOURCE = 'http://localhost/mcp'

/** An app with mcp-oauth (trusting `fixture`), mcp-session and mcp-transport, closed when the test ends. */
export async function securedApp (t: TestContext, fixture: FixtureIssuer, options: SecuredOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options.logs === undefined ? {} : { logger: collectingLogger(options.logs) })
  t.after(() => app.close())
  options.before?.(app)
  await app.register(mcpOAuth, { issuer: fixture.issuer, resource: RESOURCE, ...options.oauth })
  if (options.sessions !== false) await app.register(mcpSession)
  await app.register(mcpTransport, options.transport ?? {})
  app.mcp.tool({ name: 'whoami', description: 'Who the caller is', handler: (_args, ctx) => ({ content: [{ type: 'text', text: String(ctx.extra.request.mcpAuth?.principal) }] }) })
  options.declare?.(app)
  await app.ready()
  return app
}

export const JSON_AND_SSE = 'application/json, text/event-stream'

export function rpc (id: number, method: string, params?: Record<string, unknown>): object {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
}

export function initializeBody (protocolVersion = '2025-11-25'): object {
  return rpc(0, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } })
}

/** POSTs to `/mcp` with a bearer token (none when `undefined`), from 127.0.0.1 unless `remoteAddress` says. */
export function post (app: FastifyInstance, body: unknown, token: string | undefined, headers: Record<string, string> = {}, url = '/mcp', remoteAddress?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
    headers: {
      'content-type': 'application/json',
      accept: JSON_AND_SSE,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers
    },
    payload: JSON.stringify(body)
  })
}

/** Parses a `WWW-Authenticate: Bearer k="v", ...` header. */
export function parseChallenge (header: unknown): Record<string, string> {
  assertString(header)
  const match = /^Bearer (.*)$/.exec(header)
  if (match === null) throw new Error(`not a Bearer challenge: ${header}`)
  const params: Record<string, string> = {}
  for (const [, key, value] of match[1]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) params[key!] = value!.replace(/\\(.)/g, '$1')
  return params
}

function assertString (value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${String(value)}`)
}

/**
 * Counts the signature checks mcp-oauth asks @fastify/jwt for (its `request.mcpOAuthJwtVerify`),
 * from an app-level hook that runs before the endpoint's own: pass as `before`.
 */
export function countVerifications (counter: { count: number }): (app: FastifyInstance) => void {
  return (app) => {
    app.addHook('onRequest', (request, _reply, done) => {
      const target = request as unknown as Record<string, unknown>
      const verify = target.mcpOAuthJwtVerify as ((...args: unknown[]) => Promise<unknown>) | undefined
      if (typeof verify === 'function') {
        target.mcpOAuthJwtVerify = function (this: unknown, ...args: unknown[]) {
          // @fastify/jwt's promise form calls its callback form through the same name: count the outer call.
          if (!args.some((arg) => typeof arg === 'function')) counter.count++
          return verify.apply(this, args)
        }
      }
      done()
    })
  }
}
