import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { Agent, type Dispatcher } from 'undici'
import { BoundedDispatcher } from '../src/bounded-dispatcher.ts'
import type { HttpClient } from '../src/http.ts'
import { AuthorizationServer, bearerChallenge, canonicalResource, metadataUrls } from '../src/index.ts'
import { FixtureIssuer } from './helpers.ts'

function httpClient (dispatcher?: Dispatcher): HttpClient {
  return {
    dispatcher: new BoundedDispatcher(dispatcher, { timeoutMs: 2000, maxBytes: 65_536 }),
    backoff: { minMs: 1000, maxMs: 60_000 },
    log: Fastify().log
  }
}

test('metadata URLs are probed in the spec\'s order, for issuers with and without a path', () => {
  assert.deepEqual(metadataUrls('https://as.example.com'), [
    'https://as.example.com/.well-known/oauth-authorization-server',
    'https://as.example.com/.well-known/openid-configuration'
  ])
  assert.deepEqual(metadataUrls('https://as.example.com/tenant/1/'), [
    'https://as.example.com/.well-known/oauth-authorization-server/tenant/1',
    'https://as.example.com/.well-known/openid-configuration/tenant/1',
    'https://as.example.com/tenant/1/.well-known/openid-configuration'
  ])
})

test('discovery falls back to OpenID Connect discovery, through the injected dispatcher, and is cached', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  fixture.missing.add('/.well-known/oauth-authorization-server')
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  let dispatched = 0
  const counting = dispatcher.compose((dispatch) => (options, handler) => { dispatched++; return dispatch(options, handler) })
  const server = new AuthorizationServer(fixture.issuer, httpClient(counting), 60_000)
  const metadata = await server.metadata()
  assert.equal(metadata.jwks_uri, `${fixture.issuer}/jwks`)
  await server.metadata()
  assert.equal(fixture.count('/.well-known/oauth-authorization-server'), 1)
  assert.equal(fixture.count('/.well-known/openid-configuration'), 1)
  assert.equal(dispatched, 2)
})

test('a metadata document for another issuer is refused', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const server = new AuthorizationServer(`${fixture.issuer}/`, httpClient(), 60_000)
  await assert.rejects(server.metadata(), { code: 'FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE', statusCode: 503 })
  assert.equal(server.known, undefined)
})

test('canonical resource URIs and challenge quoting', () => {
  assert.equal(canonicalResource('HTTPS://API.Example.COM:443/MCP/#x'), 'https://api.example.com/MCP')
  assert.equal(canonicalResource('http://localhost:8080/'), 'http://localhost:8080')
  assert.equal(canonicalResource('not a url'), undefined)
  assert.equal(
    bearerChallenge({ reason: 'malformed', error: 'invalid_token', description: 'a "quoted" \\ thing\n', scopes: ['a', 'b'] }, 'https://x/.well-known/oauth-protected-resource'),
    'Bearer error="invalid_token", error_description="a \\"quoted\\" \\\\ thing", resource_metadata="https://x/.well-known/oauth-protected-resource", scope="a b"'
  )
})
