import assert from 'node:assert/strict'
import { test } from 'node:test'
import mcpSession from '@mcp-fastify/mcp-session'
import Fastify from 'fastify'
import mcpTransport from '../src/index.ts'
import {
  assertRpcError, assertServes, buildApp, httpClient, initializeBody, listen, post, rpc, send
} from './helpers.ts'

const FORBIDDEN_HOST = { status: 403, code: -32000, message: 'Forbidden: this Host is not allowed' }
const FORBIDDEN_ORIGIN = { status: 403, code: -32000, message: 'Forbidden: this Origin is not allowed' }
const PING = rpc(1, 'ping')

test('dnsRebindingProtection: a foreign Host is 403; loopback hosts pass', async (t) => {
  const app = await buildApp(t, { sessions: false, transport: { dnsRebindingProtection: true } })
  assertRpcError(await post(app, PING, { host: 'evil.example.com' }), FORBIDDEN_HOST)
  assertRpcError(await post(app, PING, { host: 'evil.example.com:3000' }), FORBIDDEN_HOST)
  assertRpcError(await post(app, PING, { host: 'localhost.evil.example.com' }), FORBIDDEN_HOST)
  for (const host of ['localhost:3000', 'localhost', '127.0.0.1:8080', '[::1]:3000', 'LOCALHOST:3000']) {
    await assertServes(app, { host })
  }
})

test('dnsRebindingProtection: the Host check guards GET and DELETE too', async (t) => {
  const app = await buildApp(t, { transport: { dnsRebindingProtection: true } })
  const init = await post(app, initializeBody(), { host: 'evil.example.com' })
  assertRpcError(init, FORBIDDEN_HOST)
  assert.equal(init.headers['mcp-session-id'], undefined, 'no session created')
  assertRpcError(await app.inject({ method: 'GET', url: '/mcp', headers: { host: 'evil.example.com', accept: 'text/event-stream' } }), FORBIDDEN_HOST)
  assertRpcError(await app.inject({ method: 'DELETE', url: '/mcp', headers: { host: 'evil.example.com', 'mcp-session-id': 'x' } }), FORBIDDEN_HOST)
  const good = await post(app, initializeBody(), { host: 'localhost:3000' })
  assert.equal(good.statusCode, 200)
})

test('dnsRebindingProtection: a foreign Origin is 403; loopback origins pass', async (t) => {
  const app = await buildApp(t, { sessions: false, transport: { dnsRebindingProtection: true } })
  const host = 'localhost:3000'
  assertRpcError(await post(app, PING, { host, origin: 'http://evil.example.com' }), FORBIDDEN_ORIGIN)
  assertRpcError(await post(app, PING, { host, origin: 'null' }), FORBIDDEN_ORIGIN)
  for (const origin of ['http://localhost:3000', 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
    await assertServes(app, { host, origin })
  }
})

test('allowedHosts replaces the loopback names', async (t) => {
  const app = await buildApp(t, { sessions: false, transport: { dnsRebindingProtection: true, allowedHosts: ['mcp.example.com'] } })
  await assertServes(app, { host: 'mcp.example.com' })
  await assertServes(app, { host: 'mcp.example.com:8443' })
  assertRpcError(await post(app, PING, { host: 'localhost:3000' }), FORBIDDEN_HOST)
})

test('allowedOrigins: a listed origin passes, any other is 403', async (t) => {
  const app = await buildApp(t, { sessions: false, transport: { allowedOrigins: ['https://app.example.com'] } })
  await assertServes(app, { origin: 'https://app.example.com' })
  await assertServes(app, { origin: 'https://APP.example.com' })
  assertRpcError(await post(app, PING, { origin: 'https://other.example.com' }), FORBIDDEN_ORIGIN)
  assertRpcError(await post(app, PING, { origin: 'http://app.example.com' }), FORBIDDEN_ORIGIN)
  // Even the endpoint's own origin must be listed then.
  assertRpcError(await post(app, PING, { host: 'mcp.example.com', origin: 'http://mcp.example.com' }), FORBIDDEN_ORIGIN)
  await assertServes(app)
})

test("allowedOrigins ['*'] lets any origin in", async (t) => {
  const app = await buildApp(t, { sessions: false, transport: { allowedOrigins: ['*'] } })
  await assertServes(app, { origin: 'https://anything.example.net' })
})

test('by default (protection off when not listening): no Host check, a cross-origin Origin is 403, same-origin passes', async (t) => {
  const app = await buildApp(t, { sessions: false })
  await assertServes(app, { host: 'evil.example.com' })
  await assertServes(app)
  assertRpcError(await post(app, PING, { host: 'mcp.example.com', origin: 'https://evil.example.com' }), FORBIDDEN_ORIGIN)
  assertRpcError(await post(app, PING, { host: 'mcp.example.com', origin: 'https://mcp.example.com:8443' }), FORBIDDEN_ORIGIN)
  // Loopback origins are only let in while the protection is on.
  assertRpcError(await post(app, PING, { host: 'mcp.example.com', origin: 'http://localhost:3000' }), FORBIDDEN_ORIGIN)
  await assertServes(app, { host: 'mcp.example.com', origin: 'https://mcp.example.com' })
  await assertServes(app, { host: 'mcp.example.com:8443', origin: 'https://mcp.example.com:8443' })
})

test('same-origin check: a Host with the explicit default port matches its Origin', async (t) => {
  const app = await buildApp(t, { sessions: false })
  // `Host: mcp.example.com:80` and `Origin: http://mcp.example.com` are the same origin (RFC 6454).
  await assertServes(app, { host: 'mcp.example.com:80', origin: 'http://mcp.example.com' })
  await assertServes(app, { host: 'mcp.example.com:443', origin: 'https://mcp.example.com' })
})

test("'auto' on a loopback listener: a foreign Host is 403, the listener's own host passes", async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { sessions: false })
  const base = await listen(app)
  const url = `${base}/mcp`
  assertRpcError(await send(agent, url, { body: PING, headers: { host: 'evil.example.com' } }), FORBIDDEN_HOST)
  assertRpcError(await send(agent, url, { body: PING, headers: { origin: 'http://evil.example.com' } }), FORBIDDEN_ORIGIN)
  const good = await send(agent, url, { body: PING, headers: { origin: base } })
  assert.equal(good.statusCode, 200)
  assert.deepEqual(JSON.parse(good.body), { jsonrpc: '2.0', id: 1, result: {} })
})

test("'auto' turns the protection on for an endpoint registered in an encapsulated context", async (t) => {
  const agent = httpClient(t)
  const app = Fastify()
  t.after(() => app.close())
  await app.register(async (scope) => {
    await scope.register(mcpSession)
    await scope.register(mcpTransport)
  }, { prefix: '/api' })
  const url = `${await listen(app)}/api/mcp`
  assertRpcError(await send(agent, url, { body: initializeBody(), headers: { host: 'evil.example.com' } }), FORBIDDEN_HOST)
  const good = await send(agent, url, { body: initializeBody() })
  assert.equal(good.statusCode, 200)
  assert.equal(typeof good.headers['mcp-session-id'], 'string')
})

test('dnsRebindingProtection: false on a loopback listener: any Host passes', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { sessions: false, transport: { dnsRebindingProtection: false } })
  const url = `${await listen(app)}/mcp`
  const response = await send(agent, url, { body: PING, headers: { host: 'mcp.example.com' } })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(JSON.parse(response.body), { jsonrpc: '2.0', id: 1, result: {} })
})
