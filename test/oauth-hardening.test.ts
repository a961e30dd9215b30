// mcp-oauth against a real authorization server (oidc-provider, through examples/secured) when
// traffic or the issuer misbehave: what real tokens look like (typ at+jwt), the scope check at
// boot, readiness without leaks, an issuer that goes away, and introspection under a burst.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ADMIN_SCOPE, buildSecuredApp, TOOLS_SCOPE } from '@mcp-fastify/example-secured'
import mcpMetrics from '@mcp-fastify/mcp-metrics'
import { request } from 'undici'
import { collectingLogger, type LogLine } from '../packages/mcp-oauth/test/helpers.ts'
import { authorizationServer, bearer, CLIENT, freePort, INITIALIZE, postMcp, RESOURCE_SERVER_CLIENT, securedServer } from './oauth-setup.ts'
import { clientCredentialsToken } from './oauth-tokens.ts'

const GENERIC = 'Service Unavailable: the authorization server cannot be reached'

test('oidc-provider\'s JWT access tokens carry typ at+jwt, which the default tokenTypes accepts', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, TOOLS_SCOPE)
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>
  assert.equal(header.typ, 'at+jwt')
  assert.equal((await postMcp(server.url, INITIALIZE, bearer(token))).status, 200)
})

test('at boot, scopes the metadata advertises but the issuer does not support are named in a warning', async (t) => {
  // This issuer knows mcp:tools only; the app advertises mcp:admin too.
  const as = await authorizationServer(t, { scopes: [TOOLS_SCOPE] })
  const logs: LogLine[] = []
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/mcp`
  const app = await buildSecuredApp({ issuer: as.issuer, publicUrl: url, fastify: { logger: collectingLogger(logs) } })
  t.after(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  const scopeWarning = (): LogLine | undefined => logs.find((line) => line.level === 40 && /scopes_supported/.test(String(line.msg)))
  while (scopeWarning() === undefined) await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(scopeWarning()?.scopes, [ADMIN_SCOPE])
  assert.deepEqual(await app.mcpOAuth.unsupportedScopes(), [ADMIN_SCOPE])
})

test('readiness through mcp-metrics: ready while the issuer answers; when it is gone, 503 and no URL in /ready nor in the endpoint\'s answers', async (t) => {
  const as = await authorizationServer(t)
  const logs: LogLine[] = []
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/mcp`
  as.allowResource(url)
  const app = await buildSecuredApp({ issuer: as.issuer, publicUrl: url, fastify: { logger: collectingLogger(logs) }, oauth: { tokenCacheSize: 0 } })
  await app.register(mcpMetrics, { readyChecks: { authorizationServer: () => app.mcpOAuth.ready() } })
  t.after(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  const ready = await request(`http://127.0.0.1:${port}/ready`)
  assert.equal(ready.statusCode, 200, await ready.body.text())

  // The issuer goes away. Tokens need its keys only when the node has none: a new node (new app) has none.
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, url, TOOLS_SCOPE)
  await as.close()
  const freshPort = await freePort()
  const freshUrl = `http://127.0.0.1:${freshPort}/mcp`
  const fresh = await buildSecuredApp({ issuer: as.issuer, publicUrl: freshUrl, fastify: { logger: collectingLogger(logs) }, oauth: { audiences: [url] } })
  await fresh.register(mcpMetrics, { readyChecks: { authorizationServer: () => fresh.mcpOAuth.ready() } })
  t.after(() => fresh.close())
  await fresh.listen({ port: freshPort, host: '127.0.0.1' })

  const notReady = await request(`http://127.0.0.1:${freshPort}/ready`)
  const report = await notReady.body.text()
  assert.equal(notReady.statusCode, 503)
  assert.deepEqual(JSON.parse(report).checks.authorizationServer, { ok: false, reason: GENERIC })
  assert.doesNotMatch(report, /127\.0\.0\.1|ECONNREFUSED|well-known/)

  const refused = await postMcp(freshUrl, INITIALIZE, bearer(token))
  assert.equal(refused.status, 503)
  assert.deepEqual(refused.body, { jsonrpc: '2.0', error: { code: -32000, message: GENERIC } })
  assert.ok(Number(refused.headers['retry-after']) >= 1)
  // The detail is in the log, for the operator.
  assert.ok(logs.some((line) => line.level === 40 && JSON.stringify(line).includes(as.issuer) && /ECONNREFUSED/.test(JSON.stringify(line))))
})

test('a burst of requests with one new opaque token makes one introspection call at the real issuer', async (t) => {
  const as = await authorizationServer(t, { opaqueTokens: true })
  const server = await securedServer(t, as, {
    verification: 'introspection',
    introspection: { clientId: RESOURCE_SERVER_CLIENT.id, clientSecret: RESOURCE_SERVER_CLIENT.secret }
  })
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, TOOLS_SCOPE)
  const answers = await Promise.all(Array.from({ length: 10 }, () => postMcp(server.url, INITIALIZE, bearer(token))))
  assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(200))
  assert.equal(server.app.mcpOAuth.introspector?.requests, 1)
})
