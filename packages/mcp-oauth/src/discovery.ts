import { Backoff, unavailable } from './backoff.ts'
import { describe, fetchJson, isObject, type HttpClient } from './http.ts'

/** The fields of authorization server metadata (RFC 8414 §2) mcp-oauth reads; the rest is kept as served. */
export interface AuthorizationServerMetadata {
  issuer: string
  jwks_uri?: string
  introspection_endpoint?: string
  [field: string]: unknown
}

/**
 * Where the metadata of `issuer` may be, in the order MCP clients try them (2025-11-25,
 * authorization: "Authorization Server Metadata Discovery"): RFC 8414 and OpenID Connect
 * Discovery, path-inserted, then OIDC path-appended.
 */
export function metadataUrls (issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/+$/, '')
  if (path === '') {
    return [`${url.origin}/.well-known/oauth-authorization-server`, `${url.origin}/.well-known/openid-configuration`]
  }
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`
  ]
}

/**
 * The issuer's metadata, discovered once and kept for `maxAgeMs`. A document whose `issuer` is
 * not the configured one is refused (RFC 8414 §3.3), so a misconfiguration fails loudly instead of
 * trusting the wrong keys. A failed discovery is logged and remembered (the issuer's back-off):
 * until it ends, the last good document keeps serving, or, with none, requests get 503 at once.
 */
export class AuthorizationServer {
  readonly issuer: string
  readonly #http: HttpClient
  readonly #backoff: Backoff
  readonly #maxAgeMs: number
  #metadata: AuthorizationServerMetadata | undefined
  #fetchedAt = 0
  #pending: Promise<AuthorizationServerMetadata> | undefined

  /**
   * Built by the plugin; apps use the instance at `app.mcpOAuth.authorizationServer`.
   *
   * @internal
   */
  constructor (issuer: string, http: HttpClient, maxAgeMs: number) {
    this.issuer = issuer
    this.#http = http
    this.#backoff = new Backoff(http.backoff)
    this.#maxAgeMs = maxAgeMs
  }

  /** The last good metadata document, if any (however old). */
  get known (): AuthorizationServerMetadata | undefined {
    return this.#metadata
  }

  async metadata (): Promise<AuthorizationServerMetadata> {
    const now = Date.now()
    if (this.#metadata !== undefined && now - this.#fetchedAt < this.#maxAgeMs) return this.#metadata
    const wait = this.#backoff.wait(now)
    if (wait > 0 && this.#pending === undefined) {
      if (this.#metadata !== undefined) return this.#metadata
      throw unavailable(wait)
    }
    this.#pending ??= this.#discover().finally(() => { this.#pending = undefined })
    try {
      return await this.#pending
    } catch (error) {
      if (this.#metadata !== undefined) return this.#metadata
      throw error
    }
  }

  async #discover (): Promise<AuthorizationServerMetadata> {
    const problems: string[] = []
    for (const url of metadataUrls(this.issuer)) {
      let answer
      try {
        answer = await fetchJson(this.#http, url)
      } catch (error) {
        problems.push(`${url}: ${describe(error)}`)
        continue
      }
      if (answer.status !== 200 || !isObject(answer.body)) {
        problems.push(`${url}: HTTP ${answer.status}${answer.status === 200 ? ', not a JSON object' : ''}`)
        continue
      }
      const metadata = answer.body
      if (metadata.issuer !== this.issuer) {
        problems.push(`${url}: issuer is ${JSON.stringify(metadata.issuer)}, not ${this.issuer}`)
        continue
      }
      this.#metadata = metadata as AuthorizationServerMetadata
      this.#fetchedAt = Date.now()
      this.#backoff.succeeded()
      return this.#metadata
    }
    const wait = this.#backoff.failed(Date.now())
    this.#http.log.warn({ issuer: this.issuer, problems, retryInMs: wait, stale: this.#metadata !== undefined },
      'mcp-oauth: no metadata for the issuer%s', this.#metadata === undefined ? '' : ' (the last good document keeps serving)')
    throw unavailable(wait)
  }
}
