import { createPublicKey, type JsonWebKey } from 'node:crypto'
import type { AuthorizationServer } from './discovery.ts'
import { FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE } from './errors.ts'
import { fetchJson, isObject, type HttpClient } from './http.ts'

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
 * server hammer the issuer.
 */
export class JwksKeys {
  readonly #server: AuthorizationServer
  readonly #http: HttpClient
  readonly #settings: JwksSettings
  #keys: Key[] = []
  #fetchedAt = -Infinity
  #pending: Promise<void> | undefined
  /** How many times the JWKS was fetched (for tests and metrics). */
  fetches = 0

  constructor (server: AuthorizationServer, http: HttpClient, settings: JwksSettings) {
    this.#server = server
    this.#http = http
    this.#settings = settings
  }

  /** The PEM public key that verifies a token with this header. */
  async key (kid: string | undefined, alg: string): Promise<string> {
    const now = Date.now()
    if (now - this.#fetchedAt >= this.#settings.maxAgeMs) await this.#refresh()
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

  #refresh (): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    return this.#pending
  }

  async #fetch (): Promise<void> {
    const metadata = await this.#server.metadata()
    const uri = metadata.jwks_uri
    if (typeof uri !== 'string') throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`the metadata of ${this.#server.issuer} has no jwks_uri`)
    let answer
    try {
      this.fetches++
      answer = await fetchJson(this.#http, uri)
    } catch (error) {
      if (this.#keepKeys()) return
      throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`${uri}: ${error instanceof Error ? error.message : String(error)}`)
    }
    const keys = isObject(answer.body) && Array.isArray(answer.body.keys) ? answer.body.keys : undefined
    if (answer.status !== 200 || keys === undefined) {
      if (this.#keepKeys()) return
      throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`${uri}: HTTP ${answer.status}, no JWK set`)
    }
    this.#keys = keys.flatMap((jwk: unknown) => {
      // Signing keys only; a JWK that does not parse is skipped, not fatal.
      if (!isObject(jwk) || (jwk.use !== undefined && jwk.use !== 'sig') || 'd' in jwk) return []
      try {
        const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
        return [{ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, jwk: jwk as JsonWebKey, pem }]
      } catch {
        return []
      }
    })
    this.#fetchedAt = Date.now()
  }

  /** When a refresh fails, the keys already known keep serving (the issuer may be down for a moment). */
  #keepKeys (): boolean {
    if (this.#keys.length === 0) return false
    this.#fetchedAt = Date.now()
    return true
  }
}
