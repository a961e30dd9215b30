import assert from 'node:assert/strict'
import { test } from 'node:test'
import fastifyJwt from '@fastify/jwt'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import Fastify from 'fastify'
import mcpOAuth, { errorCodes } from '../src/index.ts'
import { FixtureIssuer, initializeBody, post, RESOURCE, rpc, securedApp } from './helpers.ts'

test('bad options make ready() reject with FST_MCP_OAUTH_INVALID_OPTIONS', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ resource: RESOURCE }, /issuer/],
    [{ issuer: 'ftp://x', resource: RESOURCE }, /issuer/],
    [{ issuer: 'http://as', resource: 'http://x/mcp#frag' }, /resource/],
    [{ issuer: 'http://as', resource: RESOURCE, algorithms: ['HS256'] }, /algorithms/],
    [{ issuer: 'http://as', resource: RESOURCE, algorithms: ['none'] }, /algorithms/],
    [{ issuer: 'http://as', resource: RESOURCE, verification: 'introspection' }, /introspection/],
    [{ issuer: 'http://as', resource: RESOURCE, clockToleranceSec: 3600 }, /clockToleranceSec/],
    [{ issuer: 'http://as', resource: RESOURCE, rateLimit: { max: 0 } }, /rateLimit/],
    [{ issuer: 'http://as', resource: RESOURCE, unknown: true }, /\/unknown: unknown option \(known: issuer, resource/],
    [{ issuer: 'http://as', resource: RESOURCE, tokenTypes: [] }, /\/tokenTypes: must be a list of at least 1/],
    [{ issuer: 'http://as', resource: RESOURCE, tokenTypes: true }, /\/tokenTypes: must be a list of at least 1 or false \(got true\)/],
    [{ issuer: 'http://as', resource: RESOURCE, invalidTokenLimit: { max: 0 } }, /\/invalidTokenLimit\/max: must be an integer of at least 1 \(got 0\)/],
    [{ issuer: 'http://as', resource: RESOURCE, maxResponseBytes: 10 }, /\/maxResponseBytes: must be an integer of at least 1024/],
    [{ issuer: 'http://as', resource: RESOURCE, issuerBackoffMs: 5000, issuerBackoffMaxMs: 1000 }, /\/issuerBackoffMaxMs: must be at least issuerBackoffMs/],
    [{ issuer: 'http://as', resource: RESOURCE, challengeScopes: ['a b'] }, /\/challengeScopes\/0: must be a scope/]
  ]
  for (const [options, message] of cases) {
    const app = Fastify()
    t.after(() => app.close())
    app.register(mcpOAuth, options as never)
    await assert.rejects(async () => { await app.ready() }, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FST_MCP_OAUTH_INVALID_OPTIONS', JSON.stringify(options))
      assert.match(error.message, message)
      return true
    })
  }
  assert.equal(typeof errorCodes.FST_MCP_OAUTH_INVALID_OPTIONS, 'function')
})

test('registered after the transport, or with no endpoint to protect, the app does not start', async (t) => {
  const late = Fastify()
  t.after(() => late.close())
  await late.register(mcpTransport)
  late.register(mcpOAuth, { issuer: 'http://127.0.0.1:1', resource: RESOURCE })
  await assert.rejects(async () => { await late.ready() }, { code: 'FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT' })

  const alone = Fastify()
  t.after(() => alone.close())
  await alone.register(mcpOAuth, { issuer: 'http://127.0.0.1:1', resource: RESOURCE })
  await assert.rejects(async () => { await alone.ready() }, { code: 'FST_MCP_OAUTH_NO_ENDPOINT' })
})

test('only the endpoint\'s routes are protected: the app\'s other routes and the metadata are not', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { declare: (app) => app.get('/health', async () => ({ ok: true })) })
  assert.equal((await app.inject('/health')).statusCode, 200)
  assert.equal((await app.inject('/.well-known/oauth-protected-resource/mcp')).statusCode, 200)
  assert.equal((await post(app, initializeBody(), undefined)).statusCode, 401)
})

test('the legacy HTTP+SSE routes are protected too', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { transport: { legacySse: true } })
  assert.equal((await app.inject({ method: 'GET', url: '/sse', headers: { accept: 'text/event-stream' } })).statusCode, 401)
  assert.equal((await post(app, initializeBody(), undefined, {}, '/messages?sessionId=x')).statusCode, 401)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE), {}, '/messages?sessionId=x')).statusCode, 404)
})

test('the app\'s own @fastify/jwt, registered before, keeps working beside mcp-oauth\'s namespace', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = Fastify()
  t.after(() => app.close())
  await app.register(fastifyJwt, { secret: 'app-secret' })
  await app.register(mcpOAuth, { issuer: fixture.issuer, resource: RESOURCE })
  await app.register(mcpTransport)
  app.get('/me', async (request) => { await request.jwtVerify(); return request.user })
  await app.ready()
  const own = app.jwt.sign({ name: 'app-user' })
  assert.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${own}` } })).json().name, 'app-user')
  // The app's HS256 tokens are no good on the MCP endpoint, and the issuer's tokens are.
  assert.equal((await post(app, initializeBody(), own)).statusCode, 401)
  assert.equal((await post(app, initializeBody(), fixture.token(RESOURCE))).statusCode, 200)
})

test('two endpoints under one mcp-oauth: each is its own resource, with its own metadata', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpOAuth, { issuer: fixture.issuer, resource: 'https://api.example.com' })
  for (const prefix of ['/public', '/admin']) {
    await app.register(async (scope) => {
      await scope.register(mcpSession)
      await scope.register(mcpTransport)
    }, { prefix })
  }
  await app.ready()
  for (const prefix of ['/public', '/admin']) {
    const metadata = await app.inject(`/.well-known/oauth-protected-resource${prefix}/mcp`)
    assert.equal(metadata.json().resource, `https://api.example.com${prefix}/mcp`)
    const refused = await post(app, initializeBody(), undefined, {}, `${prefix}/mcp`)
    assert.match(String(refused.headers['www-authenticate']), new RegExp(`resource_metadata="https://api.example.com/.well-known/oauth-protected-resource${prefix}/mcp"`))
  }
  // A token for one is not good for the other.
  const forPublic = fixture.token('https://api.example.com/public/mcp')
  assert.equal((await post(app, initializeBody(), forPublic, {}, '/public/mcp')).statusCode, 200)
  assert.equal((await post(app, initializeBody(), forPublic, {}, '/admin/mcp')).statusCode, 401)
  // The root document would be ambiguous.
  assert.equal((await app.inject('/.well-known/oauth-protected-resource')).statusCode, 404)
})

test('a resource URL that names one endpoint cannot cover two', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpOAuth, { issuer: 'http://127.0.0.1:1', resource: 'https://api.example.com/mcp' })
  for (const prefix of ['/a', '/b']) app.register(async (scope) => { await scope.register(mcpTransport) }, { prefix })
  await assert.rejects(async () => { await app.ready() }, { code: 'FST_MCP_OAUTH_RESOURCE_AMBIGUOUS' })
})

test('CORS: a refusal lets browser clients read WWW-Authenticate', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    // What @fastify/cors does first, on every request.
    declare: (app) => app.addHook('onRequest', async (_request, reply) => { reply.header('access-control-allow-origin', 'https://app.example') }),
    transport: { allowedOrigins: ['https://app.example'] }
  })
  const refused = await post(app, initializeBody(), undefined, { origin: 'https://app.example' })
  assert.equal(refused.statusCode, 401)
  assert.match(String(refused.headers['access-control-expose-headers']), /WWW-Authenticate/)
})

test('request.mcpAuth carries what was verified, without the token itself', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  let seen: unknown
  const app = await securedApp(t, fixture, {
    sessions: false,
    declare: (app) => app.mcp.tool({ name: 'peek', handler: (_args, ctx) => { seen = ctx.extra.request.mcpAuth; return { content: [] } } })
  })
  const token = fixture.token(RESOURCE, { scope: 'mcp extra', client_id: 'c-9' })
  assert.equal((await post(app, rpc(1, 'tools/call', { name: 'peek', arguments: {} }), token)).statusCode, 200)
  const auth = seen as Record<string, unknown>
  assert.equal(auth.principal, 'alice')
  assert.equal(auth.subject, 'alice')
  assert.equal(auth.clientId, 'c-9')
  assert.deepEqual(auth.scopes, ['mcp', 'extra'])
  assert.equal(auth.issuer, fixture.issuer)
  assert.equal(JSON.stringify(auth).includes(token), false)
})
