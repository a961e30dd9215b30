// Regression (issue 9): the verified-token cache was documented as LRU but evicted the oldest
// entry inserted, however often it was used (a FIFO), and so did the introspection cache: under a
// few more distinct tokens than `tokenCacheSize`, the busiest clients' tokens were the first to be
// checked again. Both caches are now least-recently-used (toad-cache's LruMap).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { countVerifications, FixtureIssuer, initializeBody, post, RESOURCE, securedApp } from '../../packages/mcp-oauth/test/helpers.ts'

test('the JWT cache keeps the token used most recently, not the one inserted last', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const verifications = { count: 0 }
  const app = await securedApp(t, fixture, { sessions: false, oauth: { tokenCacheSize: 2 }, before: countVerifications(verifications) })
  const [a, b, c] = ['a', 'b', 'c'].map((jti) => fixture.token(RESOURCE, { jti }))
  for (const token of [a, b, a, c, a]) assert.equal((await post(app, initializeBody(), token)).statusCode, 200)
  // a, b verified; a from the cache; c verified (b, the least recently used, goes); a from the cache.
  assert.equal(verifications.count, 3)
})

test('the introspection cache is LRU too', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret', cacheSize: 2 } }
  })
  const exp = Math.floor(Date.now() / 1000) + 600
  for (const token of ['a', 'b', 'c']) fixture.active.set(token, { sub: 'alice', aud: RESOURCE, exp })
  for (const token of ['a', 'b', 'a', 'c', 'a']) assert.equal((await post(app, initializeBody(), token)).statusCode, 200)
  assert.equal(fixture.count('/introspect'), 3)
})
