import type { ClaimExpectations } from './claims.ts'
import { FST_MCP_OAUTH_RESOURCE_AMBIGUOUS } from './errors.ts'
import type { McpOAuthSettings } from './options.ts'
import { canonicalResource, isOrigin, protectedResource, type ProtectedResource } from './resource.ts'

/** One endpoint mcp-oauth protects: the resource it is, and what its tokens must say. */
export interface ProtectedEndpoint {
  readonly resource: ProtectedResource
  readonly expectations: ClaimExpectations
}

/**
 * The endpoints mcp-oauth found (by their routes' `config.mcpEndpoint`), keyed by where they are
 * mounted: the metadata, the challenges and the audience check all derive from this one place.
 */
export class ProtectedEndpoints {
  readonly #settings: McpOAuthSettings
  readonly #routePrefix: string
  readonly #byMount = new Map<string, ProtectedEndpoint>()

  constructor (settings: McpOAuthSettings, routePrefix: string) {
    this.#settings = settings
    this.#routePrefix = routePrefix
  }

  get size (): number {
    return this.#byMount.size
  }

  /** The endpoint mounted at `mountedPath`, known from now on. */
  add (mountedPath: string): ProtectedEndpoint {
    const known = this.#byMount.get(mountedPath)
    if (known !== undefined) return known
    const { resource, issuer, validateAudience, audiences } = this.#settings
    const first = this.#byMount.values().next().value
    if (first !== undefined && !isOrigin(resource)) throw new FST_MCP_OAUTH_RESOURCE_AMBIGUOUS(resource, mountedPath)
    const protectedAs = protectedResource(resource, mountedPath, this.#routePrefix)
    const accepted = new Set([protectedAs.uri, ...audiences.map((audience) => canonicalResource(audience) ?? audience)])
    const endpoint: ProtectedEndpoint = {
      resource: protectedAs,
      expectations: { issuer, resource: protectedAs.uri, audiences: validateAudience ? accepted : undefined }
    }
    this.#byMount.set(mountedPath, endpoint)
    return endpoint
  }

  /**
   * The endpoint whose metadata lives at `<well-known>` + `path`: by its mounted or its public
   * path; the root document (`path` empty) is the only endpoint's, when there is only one.
   */
  forMetadata (path: string): ProtectedEndpoint | undefined {
    if (path === '' || path === '/') return this.#byMount.size === 1 ? this.#byMount.values().next().value : undefined
    for (const endpoint of this.#byMount.values()) {
      if (endpoint.resource.mountedPath === path || endpoint.resource.publicPath === path) return endpoint
    }
    return undefined
  }
}
