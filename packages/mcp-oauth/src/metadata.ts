import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isUnavailable } from './backoff.ts'
import type { AuthorizationServer } from './discovery.ts'
import type { ProtectedEndpoint, ProtectedEndpoints } from './endpoints.ts'
import type { McpOAuthSettings } from './options.ts'
import { AS_METADATA_PATH, PRM_PATH } from './resource.ts'
import type { ScopePolicy } from './scopes.ts'

/** Discovery documents are public: any origin may read them (RFC 9728 §3, RFC 8414 §3). */
function allowAnyOrigin (reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*')
}

async function preflight (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return allowAnyOrigin(reply)
    .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
    // The SDK client sends MCP-Protocol-Version on discovery requests.
    .header('access-control-allow-headers', 'mcp-protocol-version, authorization')
    .header('access-control-max-age', '86400')
    .code(204)
    .send()
}

/** The Protected Resource Metadata document of one endpoint (RFC 9728 §2). */
export function resourceMetadata (endpoint: ProtectedEndpoint, settings: McpOAuthSettings, scopes: ScopePolicy): Record<string, unknown> {
  const document: Record<string, unknown> = {
    resource: endpoint.resource.uri,
    authorization_servers: [settings.issuer],
    bearer_methods_supported: ['header']
  }
  if (scopes.supported.length > 0) document.scopes_supported = scopes.supported
  if (settings.resourceName !== undefined) document.resource_name = settings.resourceName
  if (settings.resourceDocumentation !== undefined) document.resource_documentation = settings.resourceDocumentation
  return document
}

/**
 * The discovery routes, outside the endpoint and its auth: the protected resource metadata at
 * the root and path-inserted well-known URLs (whatever endpoint they name is looked up among those
 * found, so the paths follow the mounts), with HEAD and CORS; and, for 2025-03-26 clients, the
 * issuer's metadata at the root.
 */
export function registerMetadataRoutes (
  app: FastifyInstance, endpoints: ProtectedEndpoints, settings: McpOAuthSettings, scopes: ScopePolicy, server: AuthorizationServer
): void {
  const documents = new WeakMap<ProtectedEndpoint, string>()
  async function protectedResourceMetadata (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply): Promise<FastifyReply> {
    const suffix = request.params['*']
    const endpoint = endpoints.forMetadata(suffix === undefined ? '' : `/${suffix}`)
    allowAnyOrigin(reply)
    if (endpoint === undefined) return reply.code(404).send({ error: 'not_found', error_description: 'No protected resource here' })
    let document = documents.get(endpoint)
    if (document === undefined) {
      document = JSON.stringify(resourceMetadata(endpoint, settings, scopes))
      documents.set(endpoint, document)
    }
    return reply.header('cache-control', 'public, max-age=300').type('application/json').send(document)
  }
  app.get(PRM_PATH, protectedResourceMetadata)
  app.get(`${PRM_PATH}/*`, protectedResourceMetadata)
  app.options(PRM_PATH, preflight)
  app.options(`${PRM_PATH}/*`, preflight)

  if (settings.authorizationServerMetadata) {
    app.get(AS_METADATA_PATH, async (_request, reply) => {
      allowAnyOrigin(reply)
      let metadata
      try {
        metadata = await server.metadata()
      } catch (error) {
        // 503, in words that name no URL (the cause is logged), and when to come back.
        if (isUnavailable(error)) reply.header('retry-after', String(error.retryAfter)).header('cache-control', 'no-store')
        throw error
      }
      return reply.header('cache-control', 'public, max-age=300').send(metadata)
    })
    app.options(AS_METADATA_PATH, preflight)
  }
}
