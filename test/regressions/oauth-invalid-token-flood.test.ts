// Regression (issue 9, "OAuth under hostile traffic"): every request with a bad bearer token cost a
// signature check (or an introspection call), however many came from one address, and got a 401
// that invited the next one: a flood of garbage tokens cost the node a JWS verification each. Now
// refusals are counted per client address, and past the budget (`invalidTokenLimit`, 30 a minute
// by default) a token the node has not verified before is answered 429 with Retry-After, before
// any signature check; tokens already verified keep working from that address.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  countVerifications, FixtureIssuer, initializeBody, post, RESOURCE, securedApp, signingKey
} from '../../packages/mcp-oauth/test/helpers.ts'

test('a flood of bad tokens from one address gets 429 with Retry-After, past the budget, without signature checks', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const verifications = { count: 0 }
  const app = await securedApp(t, fixture, { sessions: false, before: countVerifications(verifications) })
  const attacker = '203.0.113.7'
  const good = fixture.token(RESOURCE)
  // Verified once, before the flood: known to the node.
  assert.equal((await post(app, initializeBody(), good, {}, '/mcp', attacker)).statusCode, 200)
  assert.equal(verifications.count, 1)

  // Signed with a key the issuer never had, under its kid: each one is a real signature check.
  const forger = signingKey('ES256', fixture.key.kid)
  const statuses: number[] = []
  let limited
  for (let i = 0; i < 40; i++) {
    const response = await post(app, initializeBody(), fixture.token(RESOURCE, { jti: `forged-${i}` }, forger), {}, '/mcp', attacker)
    statuses.push(response.statusCode)
    if (response.statusCode === 429) limited ??= response
  }
  assert.deepEqual(statuses, [...Array(30).fill(401), ...Array(10).fill(429)])
  assert.equal(verifications.count, 1 + 30, 'no signature check past the budget')
  assert.ok(limited !== undefined)
  assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60)
  assert.equal(limited.json().error.code, -32000)
  assert.match(limited.json().error.message, /Too Many Requests/)

  // The token this node verified before still works from that address; another address is untouched.
  assert.equal((await post(app, initializeBody(), good, {}, '/mcp', attacker)).statusCode, 200)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE, { jti: 'fresh' }), {}, '/mcp', '198.51.100.1')).statusCode, 200)
  // A new token from the flooding address waits for the window to pass.
  const fresh = fixture.token(RESOURCE, { jti: 'fresh-2' })
  assert.equal((await post(app, initializeBody(), fresh, {}, '/mcp', attacker)).statusCode, 429)
  t.mock.timers.tick(60_000)
  assert.equal((await post(app, initializeBody(), fresh, {}, '/mcp', attacker)).statusCode, 200)
})
