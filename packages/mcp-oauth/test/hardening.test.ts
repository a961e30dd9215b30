import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import type { RateLimitedEvent } from '../src/index.ts'
import { addressKey } from '../src/invalid-tokens.ts'
import {
  countVerifications, FixtureIssuer, initializeBody, post, RESOURCE, securedApp, signingKey, signJwt, type LogLine
} from './helpers.ts'

const GENERIC = 'Service Unavailable: the authorization server cannot be reached'

function rateLimited (t: TestContext): RateLimitedEvent[] {
  const events: RateLimitedEvent[] = []
  const listener = (event: unknown): void => { events.push(event as RateLimitedEvent) }
  subscribe('mcp-fastify:rate-limited', listener)
  t.after(() => unsubscribe('mcp-fastify:rate-limited', listener))
  return events
}

const warnings = (logs: LogLine[], pattern: RegExp): LogLine[] => logs.filter((line) => line.level === 40 && pattern.test(String(line.msg)))

test('invalid-token budget: refusals counted per address, 429 past it with an event and one warning; missing tokens are not counted', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const events = rateLimited(t)
  const logs: LogLine[] = []
  const app = await securedApp(t, fixture, { sessions: false, logs, oauth: { invalidTokenLimit: { max: 3, timeWindowMs: 10_000 } } })
  // Requests without a token cost nothing to refuse, and are not counted.
  for (let i = 0; i < 5; i++) assert.equal((await post(app, initializeBody(), undefined, {}, '/mcp', '192.0.2.1')).statusCode, 401)
  // Malformed, forged, expired: each counts.
  const now = Math.floor(Date.now() / 1000)
  const refused = ['not-a-jwt', fixture.token(RESOURCE, {}, signingKey('ES256', fixture.key.kid)), fixture.token(RESOURCE, { exp: now - 3600 })]
  for (const token of refused) assert.equal((await post(app, initializeBody(), token, {}, '/mcp', '192.0.2.1')).statusCode, 401)
  assert.equal(events.length, 0)
  const limited = await post(app, initializeBody(), fixture.token(RESOURCE), {}, '/mcp', '192.0.2.1')
  assert.equal(limited.statusCode, 429)
  assert.equal(limited.headers['retry-after'], '10')
  assert.deepEqual(limited.json(), {
    jsonrpc: '2.0',
    error: { code: -32000, message: 'Too Many Requests: too many invalid tokens from this address; retry in 10 s' }
  })
  assert.deepEqual(events, [{ key: 'ip:192.0.2.1', tool: undefined, budget: 'invalid_tokens' }])
  assert.equal(warnings(logs, /too many invalid tokens/).length, 1)
  // The window ends: the address may present new tokens again.
  t.mock.timers.tick(10_000)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE), {}, '/mcp', '192.0.2.1')).statusCode, 200)
})

test('an IPv6 client counts by its /64: changing its address within it does not reset the budget', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false, oauth: { invalidTokenLimit: { max: 2 } } })
  assert.equal((await post(app, initializeBody(), 'garbage', {}, '/mcp', '2001:db8:1:2::1')).statusCode, 401)
  assert.equal((await post(app, initializeBody(), 'garbage', {}, '/mcp', '2001:db8:1:2:aaaa::7')).statusCode, 401)
  assert.equal((await post(app, initializeBody(), 'garbage', {}, '/mcp', '2001:db8:1:2:ffff:1:2:3')).statusCode, 429)
  assert.equal((await post(app, initializeBody(), 'garbage', {}, '/mcp', '2001:db8:1:3::1')).statusCode, 401, 'another /64')
  assert.equal(addressKey('2001:DB8:0001:0002:0:0:0:1'), '2001:db8:1:2::/64')
  assert.equal(addressKey('::1'), '0:0:0:0::/64')
  assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9')
  assert.equal(addressKey('203.0.113.9'), '203.0.113.9')
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
})

test('invalidTokenLimit: false checks every token, however many are refused', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const verifications = { count: 0 }
  const app = await securedApp(t, fixture, { sessions: false, oauth: { invalidTokenLimit: false }, before: countVerifications(verifications) })
  const forger = signingKey('ES256', fixture.key.kid)
  for (let i = 0; i < 40; i++) assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { jti: String(i) }, forger))).statusCode, 401)
  assert.equal(verifications.count, 40)
})

test('an issuer that does not answer in time: 503 at the deadline, the log says why', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const logs: LogLine[] = []
  const app = await securedApp(t, fixture, { sessions: false, logs, oauth: { requestTimeoutMs: 3000 } })
  fixture.held.add('/jwks')
  t.after(() => fixture.release())
  const pending = post(app, initializeBody(), fixture.token(RESOURCE))
  await fixture.received('/jwks')
  t.mock.timers.tick(3000)
  const response = await pending
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), { jsonrpc: '2.0', error: { code: -32000, message: GENERIC } })
  assert.equal(response.headers['retry-after'], '1')
  const [warning] = warnings(logs, /signing keys cannot be fetched/)
  assert.match(String(warning?.problem), /no complete answer within 3000 ms/)
})

test('the back-off doubles while the issuer keeps failing, up to its maximum, and a success ends it', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  fixture.failing.set('/jwks', 502)
  const app = await securedApp(t, fixture, { sessions: false, oauth: { issuerBackoffMs: 1000, issuerBackoffMaxMs: 4000 } })
  const token = fixture.token(RESOURCE)
  const retryAfters: string[] = []
  for (const wait of [1000, 2000, 4000, 4000]) {
    const response = await post(app, initializeBody(), token)
    assert.equal(response.statusCode, 503)
    retryAfters.push(String(response.headers['retry-after']))
    // Within the back-off, nobody asks the issuer.
    assert.equal((await post(app, initializeBody(), token)).statusCode, 503)
    t.mock.timers.tick(wait)
  }
  assert.deepEqual(retryAfters, ['1', '2', '4', '4'])
  assert.equal(fixture.count('/jwks'), 4)
  fixture.failing.clear()
  assert.equal((await post(app, initializeBody(), token)).statusCode, 200)
  assert.equal(app.mcpOAuth.keys?.fetches, 5)
})

test('keys known keep serving while the issuer cannot renew them, and it is asked once per back-off', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const logs: LogLine[] = []
  const app = await securedApp(t, fixture, { sessions: false, logs, oauth: { tokenCacheSize: 0, jwksMaxAgeMs: 60_000 } })
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE))).statusCode, 200)
  fixture.failing.set('/jwks', 500)
  t.mock.timers.tick(61_000)
  for (let i = 0; i < 5; i++) assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { jti: String(i) }))).statusCode, 200)
  assert.equal(fixture.count('/jwks'), 2)
  const [warning] = warnings(logs, /signing keys cannot be fetched/)
  assert.equal(warning?.keysKept, 1)
  assert.match(String(warning?.problem), /HTTP 500/)
  assert.doesNotMatch(JSON.stringify(warning), /10\.0\.0\.5/, 'the issuer\'s error body is not read into the log')
})

test('tokenTypes: other typ values accepted when named, any with false; a refused typ is logged once as a hint', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: fixture.issuer, sub: 'alice', aud: RESOURCE, exp: now + 300 }
  const logs: LogLine[] = []
  const strict = await securedApp(t, fixture, { sessions: false, logs })
  for (let i = 0; i < 3; i++) {
    assert.equal((await post(strict, initializeBody(), signJwt(fixture.key, { ...claims, jti: String(i) }, { typ: 'JWT' }))).statusCode, 401)
  }
  assert.equal(warnings(logs, /typ is "JWT".*add it to tokenTypes/).length, 1)

  const keycloak = await securedApp(t, fixture, { sessions: false, oauth: { tokenTypes: ['at+jwt', 'JWT'] } })
  assert.equal((await post(keycloak, initializeBody(), signJwt(fixture.key, claims, { typ: 'jwt' }))).statusCode, 200)
  assert.equal((await post(keycloak, initializeBody(), signJwt(fixture.key, claims, { typ: 'logout+jwt' }))).statusCode, 401)

  const any = await securedApp(t, fixture, { sessions: false, oauth: { tokenTypes: false } })
  assert.equal((await post(any, initializeBody(), signJwt(fixture.key, claims, { typ: undefined }))).statusCode, 200)
})

test('ready(): resolves while the issuer answers, rejects with the 503 error (no URL in its message) when it does not', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false })
  await app.mcpOAuth.ready()
  assert.equal(fixture.count('/jwks'), 1)

  const down = await securedApp(t, fixture, { sessions: false, oauth: { issuer: 'http://127.0.0.1:9' } })
  await assert.rejects(down.mcpOAuth.ready(), (error: Error & { code?: string, statusCode?: number }) => {
    assert.equal(error.code, 'FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE')
    assert.equal(error.statusCode, 503)
    assert.equal(error.message, GENERIC)
    return true
  })
})
