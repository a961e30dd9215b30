/**
 * The canonical resource URI (RFC 8707, MCP authorization: "Canonical Server URI") and the URLs
 * derived from it. One source for the `resource` of the metadata, the audience check and the
 * `resource_metadata` URL of every challenge, so they cannot disagree.
 */

export const PRM_PATH = '/.well-known/oauth-protected-resource'
export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server'

/**
 * `HTTPS://API.Example.com:443/mcp/` → `https://api.example.com/mcp`: lower-case scheme and host,
 * no default port, no fragment, no trailing slash (but the root path stays `/`-less too).
 * `undefined` for what is not an absolute URL.
 */
export function canonicalResource (value: string): string | undefined {
  const url = URL.parse(value)
  if (url === null || url.protocol === '' || url.host === '') return undefined
  url.hash = ''
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${url.host}${path}${url.search}`
}

/** Whether the URL is an origin only (no path beyond `/`). */
export function isOrigin (value: string): boolean {
  const url = new URL(value)
  return (url.pathname === '/' || url.pathname === '') && url.search === ''
}

/** One protected endpoint, as clients know it. */
export interface ProtectedResource {
  /** The canonical resource URI: what tokens must be issued for. */
  readonly uri: string
  /** Where the endpoint is mounted in this app (`<prefix><path>`). */
  readonly mountedPath: string
  /** The resource URI's path (`/mcp`); differs from `mountedPath` behind a proxy that rewrites paths. */
  readonly publicPath: string
  /** The `resource_metadata` URL of challenges: where the metadata of this resource is served. */
  readonly metadataUrl: string
}

/**
 * The resource an endpoint mounted at `mountedPath` is: `resource` itself when it names the
 * endpoint, or the origin it gives with the mounted path appended. The metadata URL inserts the
 * well-known segment between host and path (RFC 9728 §3.1), under `routePrefix` when mcp-oauth
 * serves it from a prefixed context.
 */
export function protectedResource (resource: string, mountedPath: string, routePrefix: string): ProtectedResource {
  const given = new URL(canonicalResource(resource)!)
  const uri = isOrigin(resource) ? canonicalResource(`${given.origin}${mountedPath}`)! : canonicalResource(resource)!
  const publicPath = new URL(uri).pathname
  const path = publicPath === '/' ? '' : publicPath
  return { uri, mountedPath, publicPath, metadataUrl: `${given.origin}${routePrefix}${PRM_PATH}${path}` }
}

/** Whether a token's `aud` (a string or a list) names one of the accepted audiences. */
export function audienceMatches (aud: unknown, accepted: ReadonlySet<string>): boolean {
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  for (const value of values) {
    if (typeof value !== 'string') continue
    if (accepted.has(value)) return true
    const canonical = canonicalResource(value)
    if (canonical !== undefined && accepted.has(canonical)) return true
  }
  return false
}
