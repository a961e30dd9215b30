// Regression (issue 9): concurrent requests carrying the same token the node had not introspected
// yet each sent their own introspection request to the authorization server (the cache is filled
// only when an answer comes back), so a client retrying hard, or an attacker replaying one token
// in parallel, multiplied the load on the issuer. Now one introspection is in flight per token,
// and every request waiting for the same token shares its answer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp } from '../../packages/mcp-oauth/test/helpers.ts'

test('concurrent requests with the same unknown token make one introspection call', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const arrived = { count: 0 }
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } },
    before: (app) => app.addHook('onRequest', (_request, _reply, done) => { arrived.count++; done() })
  })
  const exp = Math.floor(Date.now() / 1000) + 600
  fixture.active.set('warm-up', { sub: 'alice', aud: RESOURCE, exp })
  fixture.active.set('shared', { sub: 'alice', aud: RESOURCE, exp })
  // The issuer's metadata is known before the burst.
  assert.equal((await post(app, initializeBody(), 'warm-up')).statusCode, 200)
  assert.equal(fixture.count('/introspect'), 1)

  fixture.held.add('/introspect')
  const burst = Array.from({ length: 8 }, () => post(app, initializeBody(), 'shared'))
  await fixture.received('/introspect', 2)
  // Every request of the burst has reached the endpoint's hooks before the issuer answers.
  while (arrived.count < 1 + 8) await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  fixture.release()
  const statuses = (await Promise.all(burst)).map((response) => response.statusCode)
  assert.deepEqual(statuses, Array(8).fill(200))
  assert.equal(fixture.count('/introspect'), 2, 'one introspection for the whole burst')
})

test('concurrent requests with the same inactive token make one introspection call too', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } }
  })
  fixture.active.set('warm-up', { sub: 'alice', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 600 })
  assert.equal((await post(app, initializeBody(), 'warm-up')).statusCode, 200)
  fixture.held.add('/introspect')
  const burst = Array.from({ length: 5 }, () => post(app, initializeBody(), 'never-issued'))
  await fixture.received('/introspect', 2)
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  fixture.release()
  const statuses = (await Promise.all(burst)).map((response) => response.statusCode)
  assert.deepEqual(statuses, Array(5).fill(401))
  assert.equal(fixture.count('/introspect'), 2)
})
