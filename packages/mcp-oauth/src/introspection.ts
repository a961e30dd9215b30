import { createHash } from 'node:crypto'
import { checkClaims, invalid, type ClaimExpectations, type Verification } from './claims.ts'
import type { AuthorizationServer } from './discovery.ts'
import { FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE } from './errors.ts'
import { fetchJson, isObject, type HttpClient } from './http.ts'
import type { McpOAuthSettings } from './options.ts'

type IntrospectionSettings = NonNullable<McpOAuthSettings['introspection']>

interface Entry {
  /** The answer's claims, `undefined` for an inactive token. */
  claims: Record<string, unknown> | undefined
  until: number
}

/** `application/x-www-form-urlencoded` as RFC 6749 §2.3.1 wants client credentials encoded. */
function formEncode (value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

/**
 * Opaque access tokens checked by RFC 7662 introspection at the issuer (undici, client
 * credentials in HTTP Basic), the answers kept until the token expires (at most `cacheTtlMs`),
 * inactive ones briefly. Tokens are kept by their SHA-256, never in clear.
 */
export class Introspector {
  readonly #server: AuthorizationServer
  readonly #http: HttpClient
  readonly #settings: IntrospectionSettings
  readonly #toleranceMs: number
  readonly #cache = new Map<string, Entry>()
  readonly #sweeper: NodeJS.Timeout
  /** Introspection requests sent (for tests and metrics). */
  requests = 0

  constructor (server: AuthorizationServer, http: HttpClient, settings: IntrospectionSettings, clockToleranceSec: number) {
    this.#server = server
    this.#http = http
    this.#settings = settings
    this.#toleranceMs = clockToleranceSec * 1000
    this.#sweeper = setInterval(() => this.#sweep(), 60_000).unref()
  }

  close (): void {
    clearInterval(this.#sweeper)
    this.#cache.clear()
  }

  async verify (token: string, expected: ClaimExpectations): Promise<Verification> {
    const claims = await this.#introspect(token)
    if (claims === undefined) return invalid('invalid_token', 'The token is not active')
    const now = Date.now()
    if (typeof claims.exp === 'number' && claims.exp * 1000 + this.#toleranceMs <= now) return invalid('expired', 'The token has expired')
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 - this.#toleranceMs > now) return invalid('invalid_token', 'The token is not valid yet')
    // The issuer vouches for the token it introspected: an answer without `iss` is its own.
    return checkClaims({ ...claims, iss: claims.iss ?? expected.issuer }, expected)
  }

  async #introspect (token: string): Promise<Record<string, unknown> | undefined> {
    const key = createHash('sha256').update(token).digest('base64url')
    const now = Date.now()
    const cached = this.#cache.get(key)
    if (cached !== undefined && cached.until > now) return cached.claims
    const endpoint = this.#settings.endpoint ?? (await this.#server.metadata()).introspection_endpoint
    if (typeof endpoint !== 'string') throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`the metadata of ${this.#server.issuer} has no introspection_endpoint`)
    const { clientId, clientSecret } = this.#settings
    const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')
    let answer
    try {
      this.requests++
      answer = await fetchJson(this.#http, endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${formEncode(token)}&token_type_hint=access_token`
      })
    } catch (error) {
      throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`${endpoint}: ${error instanceof Error ? error.message : String(error)}`)
    }
    if (answer.status !== 200 || !isObject(answer.body) || typeof answer.body.active !== 'boolean') {
      throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`${endpoint}: HTTP ${answer.status}, no introspection answer`)
    }
    const claims = answer.body.active ? answer.body : undefined
    const expiresAt = typeof claims?.exp === 'number' ? claims.exp * 1000 : Infinity
    const until = claims === undefined ? now + this.#settings.inactiveCacheTtlMs : Math.min(expiresAt, now + this.#settings.cacheTtlMs)
    this.#remember(key, { claims, until })
    return claims
  }

  #remember (key: string, entry: Entry): void {
    if (this.#cache.size >= this.#settings.cacheSize) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
    this.#cache.set(key, entry)
  }

  #sweep (): void {
    const now = Date.now()
    for (const [key, entry] of this.#cache) {
      if (entry.until <= now) this.#cache.delete(key)
    }
  }
}
