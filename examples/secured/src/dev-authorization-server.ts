import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'

export interface DevAuthorizationServerOptions {
  /** Loopback port to listen on; 0 picks a free one. */
  port?: number
  /** The resources (canonical MCP endpoint URLs) it issues tokens for: any other `resource` is refused. */
  resources: string[]
  /** The scopes a token for those resources may carry. */
  scopes: string[]
  /** The account the automatic login signs in. */
  accountId?: string
  /** Lifetime of access tokens, in seconds. */
  accessTokenTtlSec?: number
  /** Opaque access tokens (checked by introspection) instead of JWTs. */
  opaqueTokens?: boolean
  /** Pre-registered confidential clients: `client_credentials` and introspection. */
  clients?: Array<{ clientId: string, clientSecret: string }>
}

export interface DevAuthorizationServer {
  issuer: string
  provider: Provider
  /** Issue tokens for this resource too (an app that got its port after this server started). */
  allowResource (resource: string): void
  close (): Promise<void>
}

function signingKeys (): object[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  return [{ ...rsa, kid: `rsa-${randomUUID()}`, alg: 'RS256', use: 'sig' }, { ...ec, kid: `ec-${randomUUID()}`, alg: 'ES256', use: 'sig' }]
}

function canonical (value: string): string {
  const url = new URL(value)
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`
}

/**
 * A local authorization server for development and tests: oidc-provider, in this process, on
 * 127.0.0.1, with PKCE, dynamic client registration, resource indicators (RFC 8707) issuing JWT
 * access tokens (ES256) whose audience is the resource, the client credentials grant and
 * introspection. Its login is automatic: whoever opens the authorization URL is signed in as
 * `accountId` and consents to what the client asked. Never expose it: anyone gets tokens.
 */
export async function startDevAuthorizationServer (options: DevAuthorizationServerOptions): Promise<DevAuthorizationServer> {
  const accountId = options.accountId ?? 'dev-user'
  const resources = new Set(options.resources.map(canonical))
  const scope = options.scopes.join(' ')
  const http: Server = createServer()
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const configuration: Configuration = {
    jwks: { keys: signingKeys() as never },
    cookies: { keys: [randomUUID()] },
    clients: (options.clients ?? []).map(({ clientId, clientSecret }) => ({
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: []
    })),
    scopes: ['openid', 'offline_access', ...options.scopes],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    ttl: {
      Interaction: 10 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? [...resources][0],
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContextWithOIDC, indicator: string) => {
          if (!resources.has(canonical(indicator))) throw new errors.InvalidTarget(`this server issues no tokens for ${indicator}`)
          return {
            scope,
            audience: indicator,
            accessTokenTTL: options.accessTokenTtlSec ?? 600,
            accessTokenFormat: options.opaqueTokens === true ? 'opaque' : 'jwt',
            jwt: { sign: { alg: 'ES256' } }
          }
        }
      }
    }
  }
  const provider = new Provider(issuer, configuration)
  const callback = provider.callback()

  // The automatic login and consent: the interaction every authorization request goes through.
  async function interaction (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(request, response)
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(request, response, { login: { accountId } }, { mergeWithLastSubmission: false })
      return
    }
    const grant = details.grantId === undefined
      ? new provider.Grant({ accountId, clientId: String(details.params.client_id) })
      : (await provider.Grant.find(details.grantId))!
    const missing = details.prompt.details as { missingOIDCScope?: string[], missingOIDCClaims?: string[], missingResourceScopes?: Record<string, string[]> }
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
    const grantId = await grant.save()
    await provider.interactionFinished(request, response, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }

  http.on('request', (request, response) => {
    if (request.url?.startsWith('/interaction/') === true) {
      interaction(request, response).catch((error: unknown) => {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`)
      })
    } else {
      callback(request, response)
    }
  })

  return {
    issuer,
    provider,
    allowResource: (resource) => { resources.add(canonical(resource)) },
    close: () => new Promise<void>((resolve) => {
      http.closeAllConnections()
      http.close(() => resolve())
    })
  }
}
