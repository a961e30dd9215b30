import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import type { AuthRefusedEvent } from '../src/index.ts'
import { FixtureIssuer, initializeBody, parseChallenge, post, RESOURCE, rpc, securedApp, signingKey, signJwt } from './helpers.ts'

const METADATA_URL = 'http://localhost/.well-known/oauth-protected-resource/mcp'

/** Collects `mcp-fastify:auth:refused` events for the test's duration. */
function refusals (t: TestContext): AuthRefusedEvent[] {
  const events: AuthRefusedEvent[] = []
  const listener = (event: unknown): void => { events.push(event as AuthRefusedEvent) }
  subscribe('mcp-fastify:auth:refused', listener)
  t.after(() => unsubscribe('mcp-fastify:auth:refused', listener))
  return events
}

function assertRefused (response: LightMyRequestResponse, status: number, error: string, description: RegExp): Record<string, string> {
  assert.equal(response.statusCode, status, response.body)
  const challenge = parseChallenge(response.headers['www-authenticate'])
  assert.equal(challenge.error, error)
  assert.match(challenge.error_description ?? '', description)
  assert.equal(challenge.resource_metadata, METADATA_URL)
  const body = response.json()
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
  assert.equal(body.error, error)
  assert.equal(body.error_description, challenge.error_description)
  return challenge
}

test('a valid token is accepted: the principal is on the request and in the handler context', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false })
  const token = fixture.token(RESOURCE)
  const response = await post(app, rpc(1, 'tools/call', { name: 'whoami', arguments: {} }), token)
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(response.json().result.content[0].text, 'alice')
})

test('a request without a token gets 401 with resource_metadata (and scope when the endpoint requires some)', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const events = refusals(t)
  const app = await securedApp(t, fixture, { oauth: { requiredScopes: ['mcp'] } })
  const challenge = assertRefused(await post(app, initializeBody(), undefined), 401, 'invalid_token', /No bearer token/)
  assert.equal(challenge.scope, 'mcp')
  for (const method of ['GET', 'DELETE'] as const) {
    const response = await app.inject({ method, url: '/mcp', headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } })
    assertRefused(response, 401, 'invalid_token', /No bearer token/)
  }
  assertRefused(await post(app, initializeBody(), undefined, { authorization: 'Basic YTpi' }), 401, 'invalid_token', /another scheme/)
  assert.deepEqual(events, [
    { reason: 'missing_token', statusCode: 401 }, { reason: 'missing_token', statusCode: 401 },
    { reason: 'missing_token', statusCode: 401 }, { reason: 'missing_token', statusCode: 401 }
  ])
})

test('malformed Authorization headers get 401 invalid_token', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const events = refusals(t)
  const app = await securedApp(t, fixture)
  for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer ä', 'Bearer a=b']) {
    assertRefused(await post(app, initializeBody(), undefined, { authorization: header }), 401, 'invalid_token', /Malformed/)
  }
  assertRefused(await post(app, initializeBody(), 'not-a-jwt'), 401, 'invalid_token', /not a JWT/)
  assert.ok(events.every((event) => event.reason === 'malformed' && event.statusCode === 401))
  assert.equal(events.length, 6)
})

test('a token in the query string is refused (400 invalid_request), even with a valid header', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const events = refusals(t)
  const app = await securedApp(t, fixture)
  const token = fixture.token(RESOURCE)
  const response = await post(app, initializeBody(), token, {}, `/mcp?access_token=${token}`)
  assertRefused(response, 400, 'invalid_request', /query string/)
  assert.deepEqual(events, [{ reason: 'token_in_query', statusCode: 400 }])
})

test('foreign tokens get 401: wrong audience, wrong issuer, foreign key, expired, not yet valid, bad algorithm', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const events = refusals(t)
  const app = await securedApp(t, fixture)
  const now = Math.floor(Date.now() / 1000)
  const foreign = signingKey('ES256', fixture.key.kid)
  const cases: Array<[string, string, RegExp, string]> = [
    ['wrong audience', fixture.token('http://localhost/other'), /not issued for http:\/\/localhost\/mcp/, 'wrong_audience'],
    ['no audience', fixture.token(RESOURCE, { aud: undefined }), /not issued for/, 'wrong_audience'],
    ['wrong issuer', fixture.token(RESOURCE, { iss: 'http://127.0.0.1:1' }), /not issued by the trusted/, 'wrong_issuer'],
    ['foreign key, same kid', fixture.token(RESOURCE, {}, foreign), /signature or claims are invalid/, 'invalid_token'],
    ['foreign key, unknown kid', fixture.token(RESOURCE, {}, signingKey()), /cannot be verified/, 'invalid_token'],
    ['expired', fixture.token(RESOURCE, { exp: now - 120 }), /expired/, 'expired'],
    ['not yet valid', fixture.token(RESOURCE, { nbf: now + 120 }), /not valid yet/, 'invalid_token'],
    ['no expiry', fixture.token(RESOURCE, { exp: undefined }), /invalid/, 'invalid_token'],
    ['alg none', `${fixture.token(RESOURCE).split('.').slice(0, 1).map(() => Buffer.from(JSON.stringify({ alg: 'none', kid: fixture.key.kid })).toString('base64url'))[0]}.${fixture.token(RESOURCE).split('.')[1]}.`, /not accepted|invalid/, 'invalid_token'],
    ['HS256 with the public key as secret', signJwt(fixture.key, { iss: fixture.issuer, sub: 'x', aud: RESOURCE, exp: now + 60 }, { alg: 'HS256' }), /not accepted/, 'invalid_token'],
    ['no subject', fixture.token(RESOURCE, { sub: undefined, client_id: undefined }), /no subject/, 'invalid_token']
  ]
  for (const [name, token, description, reason] of cases) {
    await t.test(name, async () => {
      const before = events.length
      assertRefused(await post(app, initializeBody(), token), 401, 'invalid_token', description)
      assert.deepEqual(events.slice(before), [{ reason, statusCode: 401 }])
    })
  }
})

test('the clock skew is tolerated: a token expired 10 s ago still passes, with the default 30 s', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture)
  const now = Math.floor(Date.now() / 1000)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { exp: now - 10 }))).statusCode, 200)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { nbf: now + 10 }))).statusCode, 200)
})

test('the audience is compared as a canonical URI, in a list too, and extra audiences are accepted', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { audiences: ['https://old.example.com/mcp'] } })
  for (const aud of ['HTTP://LOCALHOST:80/mcp/', ['https://x.example', 'http://localhost/mcp'], 'https://old.example.com/mcp']) {
    assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { aud }))).statusCode, 200, JSON.stringify(aud))
  }
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { aud: 'http://localhost/mcp/x' }))).statusCode, 401)
})

test('with validateAudience off, any audience of the trusted issuer passes', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { validateAudience: false } })
  assert.equal((await post(app, initializeBody(), fixture.token('https://elsewhere.example'))).statusCode, 200)
})

test('keys are fetched once and cached; an unknown kid refetches the JWKS (key rotation), at most once per cooldown', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture)
  for (let i = 0; i < 5; i++) assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { jti: String(i) }))).statusCode, 200)
  assert.equal(fixture.count('/jwks'), 1)
  assert.equal(fixture.count('/.well-known/oauth-authorization-server'), 1)
  // The issuer rotates: the new key is found by refetching.
  const rotated = signingKey('RS256')
  fixture.keys.unshift(rotated)
  t.mock.timers.tick(30_000)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, {}, rotated))).statusCode, 200)
  assert.equal(fixture.count('/jwks'), 2)
  // Made-up kids do not make the server hammer the issuer.
  for (let i = 0; i < 3; i++) assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, {}, signingKey()))).statusCode, 401)
  assert.equal(fixture.count('/jwks'), 2)
})

test('an issuer that cannot be reached answers 503 (a JSON-RPC error), not 401', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { issuer: 'http://127.0.0.1:9', requestTimeoutMs: 2000 } })
  const response = await post(app, initializeBody(), fixture.token(RESOURCE))
  assert.equal(response.statusCode, 503)
  assert.equal(response.json().error.code, -32000)
  assert.equal(response.json().error.message, 'Service Unavailable: the authorization server cannot be reached')
})
