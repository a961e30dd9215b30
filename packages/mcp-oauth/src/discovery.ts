import { FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE } from './errors.ts'
import { fetchJson, isObject, type HttpClient } from './http.ts'

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
 * trusting the wrong keys. A failed refresh keeps serving the last good document.
 */
export class AuthorizationServer {
  readonly issuer: string
  readonly #http: HttpClient
  readonly #maxAgeMs: number
  #metadata: AuthorizationServerMetadata | undefined
  #fetchedAt = 0
  #pending: Promise<AuthorizationServerMetadata> | undefined

  constructor (issuer: string, http: HttpClient, maxAgeMs: number) {
    this.issuer = issuer
    this.#http = http
    this.#maxAgeMs = maxAgeMs
  }

  async metadata (): Promise<AuthorizationServerMetadata> {
    if (this.#metadata !== undefined && Date.now() - this.#fetchedAt < this.#maxAgeMs) return this.#metadata
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
        problems.push(`${url}: ${error instanceof Error ? error.message : String(error)}`)
        continue
      }
      if (answer.status !== 200 || !isObject(answer.body)) {
        problems.push(`${url}: HTTP ${answer.status}`)
        continue
      }
      const metadata = answer.body
      if (metadata.issuer !== this.issuer) {
        problems.push(`${url}: issuer is ${JSON.stringify(metadata.issuer)}, not ${this.issuer}`)
        continue
      }
      this.#metadata = metadata as AuthorizationServerMetadata
      this.#fetchedAt = Date.now()
      return this.#metadata
    }
    throw new FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE(`no metadata for issuer ${this.issuer}: ${problems.join('; ')}`)
  }
}
