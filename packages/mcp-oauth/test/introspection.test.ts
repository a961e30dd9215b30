import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp } from './helpers.ts'

test('introspection: active tokens pass and are cached; inactive, expired, foreign ones are refused', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } }
  })
  const now = Math.floor(Date.now() / 1000)
  fixture.active.set('good', { sub: 'alice', aud: RESOURCE, scope: 'mcp', exp: now + 600, client_id: 'c' })
  fixture.active.set('other-aud', { sub: 'alice', aud: 'http://localhost/other', exp: now + 600 })
  fixture.active.set('no-aud', { sub: 'alice', exp: now + 600 })
  fixture.active.set('other-iss', { sub: 'alice', aud: RESOURCE, iss: 'http://evil', exp: now + 600 })
  fixture.active.set('short', { sub: 'alice', aud: RESOURCE, exp: now + 60 })

  for (let i = 0; i < 3; i++) assert.equal((await post(app, initializeBody(), 'good')).statusCode, 200)
  assert.equal(fixture.count('/introspect'), 1, 'one introspection for three requests')

  const descriptions: Record<string, RegExp> = { unknown: /not active/, 'other-aud': /not issued for/, 'no-aud': /not issued for/, 'other-iss': /not issued by/ }
  for (const [token, description] of Object.entries(descriptions)) {
    const refused = await post(app, initializeBody(), token)
    assert.equal(refused.statusCode, 401, token)
    assert.match(refused.json().error_description, description)
  }

  assert.equal((await post(app, initializeBody(), 'short')).statusCode, 200)
  t.mock.timers.tick(60_000 + 31_000)
  const expired = await post(app, initializeBody(), 'short')
  assert.equal(expired.statusCode, 401)
  assert.match(expired.json().error_description, /expired/)
})

test('introspection with wrong credentials is the issuer refusing us: 503, not the client\'s fault', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'wrong' } } })
  fixture.active.set('good', { sub: 'alice', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 600 })
  assert.equal((await post(app, initializeBody(), 'good')).statusCode, 503)
})
