// Regression (issue 9): an answer of the authorization server was read whole, whatever its size,
// before a byte of it was looked at: a JWKS, a metadata document or an introspection answer of
// hundreds of megabytes (a compromised or misconfigured issuer, a proxy's error page looping) went
// into memory, as many times as requests were waiting for it. Now every answer is capped
// (`maxResponseBytes`, 256 KiB by default): a larger one is cut off as soon as it is seen (by its
// Content-Length, or while it streams), the request gets 503, and the log says why.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp, type LogLine } from '../../packages/mcp-oauth/test/helpers.ts'

const HUGE = 4 * 1024 * 1024

for (const chunked of [false, true]) {
  test(`a JWKS of 4 MiB (${chunked ? 'streamed' : 'with Content-Length'}) is refused: 503, and the log says why`, async (t) => {
    const fixture = await FixtureIssuer.start(t)
    fixture.padded.set('/jwks', { bytes: HUGE, chunked })
    const logs: LogLine[] = []
    const app = await securedApp(t, fixture, { sessions: false, logs })
    const response = await post(app, initializeBody(), fixture.token(RESOURCE))
    assert.equal(response.statusCode, 503, response.body)
    assert.ok(logs.some((line) => line.level >= 40 && /larger than/.test(JSON.stringify(line))), 'a warning names the cause')
  })
}

test('an oversized metadata document or introspection answer is refused too', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  fixture.padded.set('/.well-known/oauth-authorization-server', { bytes: HUGE, chunked: true })
  fixture.padded.set('/.well-known/openid-configuration', { bytes: HUGE })
  const app = await securedApp(t, fixture, { sessions: false })
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE))).statusCode, 503)

  const introspecting = await FixtureIssuer.start(t)
  introspecting.padded.set('/introspect', { bytes: HUGE, chunked: true })
  introspecting.active.set('opaque', { sub: 'alice', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 600 })
  const other = await securedApp(t, introspecting, {
    sessions: false,
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } }
  })
  assert.equal((await post(other, initializeBody(), 'opaque')).statusCode, 503)
})

test('answers within the cap are read as before', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  fixture.padded.set('/jwks', { bytes: 100_000, chunked: true })
  const app = await securedApp(t, fixture, { sessions: false })
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE))).statusCode, 200)
})
