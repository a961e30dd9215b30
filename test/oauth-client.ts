import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { request } from 'undici'

/**
 * A user agent for the authorization code flow: follows the authorization server's redirects
 * (login, consent: automatic on the development server) with its cookies, up to the client's
 * redirect URI, and returns the `code` found there.
 */
export async function authorizeInBrowser (authorizationUrl: URL, redirectUri: string): Promise<string> {
  const cookies = new Map<string, string>()
  let url = authorizationUrl.href
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(redirectUri)) {
      const params = new URL(url).searchParams
      const code = params.get('code')
      if (code === null) throw new Error(`the authorization server answered ${params.get('error') ?? '?'}: ${params.get('error_description') ?? ''}`)
      return code
    }
    const response = await request(url, { headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } })
    const body = await response.body.text()
    const setCookie = response.headers['set-cookie']
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    const location = response.headers.location
    if (response.statusCode < 300 || response.statusCode >= 400 || typeof location !== 'string') {
      throw new Error(`authorization stopped at ${url}: HTTP ${response.statusCode} ${body.slice(0, 300)}`)
    }
    url = new URL(location, url).href
  }
  throw new Error('too many redirects')
}

/**
 * The SDK client's `OAuthClientProvider` as a command-line client would write it, all in memory:
 * it registers dynamically, keeps the PKCE verifier and the tokens, and "opens the browser" with
 * `authorizeInBrowser`, keeping the code for `transport.finishAuth(code)`.
 */
export class InMemoryOAuthClient implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:1/callback'
  client: OAuthClientInformationMixed | undefined
  #tokens: OAuthTokens | undefined
  #verifier = ''
  /** The authorization code of the last authorization. */
  code: Promise<string> | undefined
  /** Authorization URLs the client was sent to. */
  readonly authorizations: URL[] = []

  get clientMetadata (): OAuthClientMetadata {
    return {
      client_name: 'mcp-fastify e2e',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native'
    } as OAuthClientMetadata
  }

  clientInformation (): OAuthClientInformationMixed | undefined { return this.client }
  saveClientInformation (client: OAuthClientInformationMixed): void { this.client = client }
  tokens (): OAuthTokens | undefined { return this.#tokens }
  saveTokens (tokens: OAuthTokens): void { this.#tokens = tokens }
  saveCodeVerifier (verifier: string): void { this.#verifier = verifier }
  codeVerifier (): string { return this.#verifier }

  redirectToAuthorization (url: URL): void {
    this.authorizations.push(url)
    this.code = authorizeInBrowser(url, this.redirectUrl)
    this.code.catch(() => {})
  }
}
