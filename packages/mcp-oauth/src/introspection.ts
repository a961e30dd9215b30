import { createHash } from 'node:crypto'
import { LruMap } from 'toad-cache'
import { Backoff, unavailable } from './backoff.ts'
import { checkClaims, invalid, type ClaimExpectations, type Verification } from './claims.ts'
import type { AuthorizationServer } from './discovery.ts'
import { describe, fetchJson, isObject, type HttpClient } from './http.ts'
import type { McpOAuthSettings } from './options.ts'

type IntrospectionSettings = NonNullable<McpOAuthSettings['introspection']>
type Claims = Record<string, unknown>

interface Entry {
  /** The answer's claims, `undefined` for an inactive token. */
  claims: Claims | undefined
  until: number
}

/** `application/x-www-form-urlencoded` as RFC 6749 §2.3.1 wants client credentials encoded. */
function formEncode (value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

function keyOf (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * Opaque access tokens checked by RFC 7662 introspection at the issuer (undici, client
 * credentials in HTTP Basic). Answers are kept in an LRU cache until the token expires (at most
 * `cacheTtlMs`), inactive ones briefly; one introspection is in flight per token, whoever else
 * presents it meanwhile waits for its answer. Tokens are kept by their SHA-256, never in clear.
 */
export class Introspector {
  readonly #server: AuthorizationServer
  readonly #http: HttpClient
  readonly #backoff: Backoff
  readonly #settings: IntrospectionSettings
  readonly #toleranceMs: number
  readonly #cache: LruMap<Entry>
  readonly #inFlight = new Map<string, Promise<Claims | undefined>>()
  /** Introspection requests sent (for tests and metrics). */
  requests = 0

  /**
   * Built by the plugin; apps use the instance at `app.mcpOAuth.introspector`.
   *
   * @internal
   */
  constructor (server: AuthorizationServer, http: HttpClient, settings: IntrospectionSettings, clockToleranceSec: number) {
    this.#server = server
    this.#http = http
    this.#backoff = new Backoff(http.backoff)
    this.#settings = settings
    this.#toleranceMs = clockToleranceSec * 1000
    this.#cache = new LruMap<Entry>(settings.cacheSize)
  }

  close (): void {
    this.#cache.clear()
  }

  /**
   * The verdict on a token introspected before, while its answer is kept; `undefined` otherwise.
   *
   * @internal
   */
  known (token: string, expected: ClaimExpectations): Verification | undefined {
    const entry = this.#cache.get(keyOf(token))
    if (entry === undefined) return undefined
    if (entry.until <= Date.now()) return undefined
    return this.#judge(entry.claims, expected)
  }

  /**
   * The verdict on a token: from the cache while its answer is kept, else introspected (once,
   * however many requests present it meanwhile).
   *
   * @internal
   */
  async verify (token: string, expected: ClaimExpectations): Promise<Verification> {
    const key = keyOf(token)
    const entry = this.#cache.get(key)
    if (entry !== undefined && entry.until > Date.now()) return this.#judge(entry.claims, expected)
    let pending = this.#inFlight.get(key)
    if (pending === undefined) {
      pending = this.#introspect(key, token).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, pending)
    }
    return this.#judge(await pending, expected)
  }

  #judge (claims: Claims | undefined, expected: ClaimExpectations): Verification {
    if (claims === undefined) return invalid('invalid_token', 'The token is not active')
    const now = Date.now()
    if (typeof claims.exp === 'number' && claims.exp * 1000 + this.#toleranceMs <= now) return invalid('expired', 'The token has expired')
    if (typeof claims.nbf === 'number' && claims.nbf * 1000 - this.#toleranceMs > now) return invalid('invalid_token', 'The token is not valid yet')
    // The issuer vouches for the token it introspected: an answer without `iss` is its own.
    return checkClaims({ ...claims, iss: claims.iss ?? expected.issuer }, expected)
  }

  async #introspect (key: string, token: string): Promise<Claims | undefined> {
    const wait = this.#backoff.wait(Date.now())
    if (wait > 0) throw unavailable(wait)
    const endpoint = this.#settings.endpoint ?? (await this.#server.metadata()).introspection_endpoint
    if (typeof endpoint !== 'string') return this.#failed({ issuer: this.#server.issuer, problem: 'the metadata has no introspection_endpoint' })
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
      return this.#failed({ introspectionEndpoint: endpoint, problem: describe(error) })
    }
    if (answer.status !== 200 || !isObject(answer.body) || typeof answer.body.active !== 'boolean') {
      return this.#failed({ introspectionEndpoint: endpoint, problem: `HTTP ${answer.status}, no introspection answer` })
    }
    this.#backoff.succeeded()
    const claims = answer.body.active ? answer.body : undefined
    const now = Date.now()
    const expiresAt = typeof claims?.exp === 'number' ? claims.exp * 1000 : Infinity
    const until = claims === undefined ? now + this.#settings.inactiveCacheTtlMs : Math.min(expiresAt, now + this.#settings.cacheTtlMs)
    if (until > now) this.#cache.set(key, { claims, until })
    return claims
  }

  /** An introspection that failed: logged (never sent to the client), and the issuer backs off. */
  #failed (detail: Record<string, unknown>): never {
    const wait = this.#backoff.failed(Date.now())
    this.#http.log.warn({ ...detail, retryInMs: wait }, 'mcp-oauth: a token cannot be introspected')
    throw unavailable(wait)
  }
}
