// Regression (issue 9): the `typ` header of JWT access tokens was not checked, so any JWT the
// issuer signed with the right audience passed for an access token: an ID token, a logout token,
// a signed request object (RFC 9068 §4: the resource server MUST check `typ` is `at+jwt`, the
// defence against such confusion). Now only `at+jwt` (also spelled `application/at+jwt`, in any
// case) is accepted by default; `tokenTypes` names others for issuers that write something else,
// or `false` turns the check off.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp, signJwt } from '../../packages/mcp-oauth/test/helpers.ts'

function claims (fixture: FixtureIssuer): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return { iss: fixture.issuer, sub: 'alice', aud: RESOURCE, iat: now, exp: now + 300 }
}

test('a JWT whose typ is not at+jwt is not an access token: 401', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false })
  for (const typ of ['JWT', 'id_token+jwt', 'logout+jwt', undefined]) {
    const token = signJwt(fixture.key, claims(fixture), { typ })
    const refused = await post(app, initializeBody(), token)
    assert.equal(refused.statusCode, 401, String(typ))
    assert.equal(refused.json().error, 'invalid_token')
    assert.match(refused.json().error_description, /not an access token/)
  }
  for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT']) {
    assert.equal((await post(app, initializeBody(), signJwt(fixture.key, claims(fixture), { typ }))).statusCode, 200, typ)
  }
})
