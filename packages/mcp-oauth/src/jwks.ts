import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { Backoff, unavailable } from './backoff.ts'
import type { AuthorizationServer } from './discovery.ts'
import { describe, fetchJson, isObject, type HttpClient } from './http.ts'

/** The key type and curve each JWS algorithm needs (RFC 7518 §3.1, RFC 8037). */
function fits (alg: string, jwk: JsonWebKey): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA'
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256'
  if (alg === 'ES384') return jwk.kty === 'EC' && jwk.crv === 'P-384'
  if (alg === 'ES512') return jwk.kty === 'EC' && jwk.crv === 'P-521'
  if (alg === 'EdDSA') return jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448')
  return false
}

interface Key {
  kid: string | undefined
  alg: string | undefined
  jwk: JsonWebKey
  /** The PEM form @fastify/jwt verifies with (one verifier, and one token cache, per key). */
  pem: string
}

/** Why no key verifies a token. */
export class UnknownKeyError extends Error {}

export interface JwksSettings {
  maxAgeMs: number
  refreshCooldownMs: number
}

/**
 * The issuer's signing keys, fetched from its `jwks_uri` with undici and kept: fetched again when
 * they are older than `maxAgeMs`, or when a token names a `kid` not among them (the issuer rotated
 * its keys), at most once per `refreshCooldownMs` so tokens with made-up `kid`s cannot make this
 * server hammer the issuer. One fetch at a time. A failed fetch is logged and starts the issuer's
 * back-off; the keys already known keep serving meanwhile.
 */
export class JwksKeys {
  readonly #server: AuthorizationServer
  readonly #http: HttpClient
  readonly #backoff: Backoff
  readonly #settings: JwksSettings
  #keys: Key[] = []
  #fetchedAt = -Infinity
  #pending: Promise<void> | undefined
  /** How many times the JWKS was fetched (for tests and metrics). */
  fetches = 0

  /**
   * Built by the plugin; apps use the instance at `app.mcpOAuth.keys`.
   *
   * @internal
   */
  constructor (server: AuthorizationServer, http: HttpClient, settings: JwksSettings) {
    this.#server = server
    this.#http = http
    this.#backoff = new Backoff(http.backoff)
    this.#settings = settings
  }

  /** Resolves when keys are known and fresh (or the issuer backs off with keys known); else the 503 error. */
  async ready (): Promise<void> {
    if (Date.now() - this.#fetchedAt >= this.#settings.maxAgeMs) await this.#refresh()
  }

  /** The PEM public key that verifies a token with this header. */
  async key (kid: string | undefined, alg: string): Promise<string> {
    if (Date.now() - this.#fetchedAt >= this.#settings.maxAgeMs) await this.#refresh()
    let key = this.#find(kid, alg)
    if (key === undefined && Date.now() - this.#fetchedAt >= this.#settings.refreshCooldownMs) {
      await this.#refresh()
      key = this.#find(kid, alg)
    }
    if (key === undefined) throw new UnknownKeyError(kid === undefined ? `no ${alg} key of the issuer verifies this token` : `the issuer has no ${alg} key "${kid}"`)
    return key.pem
  }

  #find (kid: string | undefined, alg: string): Key | undefined {
    const candidates = this.#keys.filter((key) => (key.alg === undefined || key.alg === alg) && fits(alg, key.jwk))
    if (kid !== undefined) return candidates.find((key) => key.kid === kid)
    // A token without `kid` is verifiable only when one key can be meant.
    return candidates.length === 1 ? candidates[0] : undefined
  }

  /** Fetches the keys, unless the issuer is backing off; rejects only when no key is known. */
  #refresh (): Promise<void> {
    const wait = this.#backoff.wait(Date.now())
    if (wait > 0 && this.#pending === undefined) return this.#keys.length > 0 ? Promise.resolve() : Promise.reject(unavailable(wait))
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    return this.#pending
  }

  async #fetch (): Promise<void> {
    let metadata
    try {
      metadata = await this.#server.metadata()
    } catch (error) {
      // Discovery logged why, and backs off.
      if (this.#keys.length > 0) return
      throw error
    }
    const uri = metadata.jwks_uri
    if (typeof uri !== 'string') return this.#failed({ issuer: this.#server.issuer, problem: 'the metadata has no jwks_uri' })
    let answer
    try {
      this.fetches++
      answer = await fetchJson(this.#http, uri)
    } catch (error) {
      return this.#failed({ jwksUri: uri, problem: describe(error) })
    }
    const jwks = isObject(answer.body) && Array.isArray(answer.body.keys) ? answer.body.keys : undefined
    if (answer.status !== 200 || jwks === undefined) return this.#failed({ jwksUri: uri, problem: `HTTP ${answer.status}, no JWK set` })
    const keys = jwks.flatMap((jwk: unknown) => {
      // Signing keys only; a JWK that does not parse is skipped, not fatal.
      if (!isObject(jwk) || (jwk.use !== undefined && jwk.use !== 'sig') || 'd' in jwk) return []
      try {
        const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
        return [{ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, jwk: jwk as JsonWebKey, pem }]
      } catch {
        return []
      }
    })
    if (keys.length === 0) return this.#failed({ jwksUri: uri, problem: 'no signing key in the JWK set' })
    this.#keys = keys
    this.#fetchedAt = Date.now()
    this.#backoff.succeeded()
  }

  /** A fetch that failed: logged, the issuer backs off; the keys known keep serving, if any. */
  #failed (detail: Record<string, unknown>): void {
    const wait = this.#backoff.failed(Date.now())
    this.#http.log.warn({ ...detail, retryInMs: wait, keysKept: this.#keys.length }, 'mcp-oauth: the issuer\'s signing keys cannot be fetched')
    if (this.#keys.length === 0) throw unavailable(wait)
  }
}
