import assert from 'node:assert/strict'
import { test } from 'node:test'
import { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession from '@mcp-fastify/mcp-session'
import Fastify from 'fastify'
import mcpTransport, { errorCodes, type McpTransportOptions } from '../src/index.ts'
import { assertServes, buildApp, initialize, initializeBody, post, rpc } from './helpers.ts'

const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a path without a leading slash', { path: 'mcp' }, /\/path/],
  ['an unknown responseMode', { responseMode: 'x' }, /\/responseMode/],
  ['an unknown key', { bogus: true }, /\/bogus: Unexpected property/],
  ['a negative keepAliveMs', { keepAliveMs: -1 }, /\/keepAliveMs/],
  ['a zero bodyLimit', { bodyLimit: 0 }, /\/bodyLimit/],
  ['a fractional bodyLimit', { bodyLimit: 1.5 }, /\/bodyLimit/],
  ['a tiny maxBufferedBytes', { maxBufferedBytes: 10 }, /\/maxBufferedBytes/],
  ['a dnsRebindingProtection string', { dnsRebindingProtection: 'yes' }, /\/dnsRebindingProtection/],
  ['allowedOrigins not a list', { allowedOrigins: 'https://app.example.com' }, /\/allowedOrigins/],
  ['a legacy ssePath without a slash', { legacySse: { ssePath: 'sse' } }, /\/legacySse/],
  ['an unknown legacySse key', { legacySse: { ssePath: '/sse', extra: 1 } }, /\/legacySse/],
  ['strictAccept not a boolean', { strictAccept: 'yes' }, /\/strictAccept/]
]

for (const [what, options, path] of invalid) {
  test(`invalid options (${what}): app.ready() rejects with FST_MCP_TRANSPORT_INVALID_OPTIONS`, async (t) => {
    const app = Fastify()
    t.after(() => app.close())
    app.register(mcpSession)
    app.register(mcpTransport, options as McpTransportOptions)
    await assert.rejects(async () => await app.ready(), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'FST_MCP_TRANSPORT_INVALID_OPTIONS')
      assert.ok(error instanceof errorCodes.FST_MCP_TRANSPORT_INVALID_OPTIONS)
      assert.match(error.message, /^Invalid mcp-transport options: /)
      assert.match(error.message, path)
      return true
    })
  })
}

test('an option error lists every problem, with the allowed values of a choice', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  app.register(mcpTransport, { responseMode: 'xml', bodyLimit: 0, strictAccept: 'yes' } as unknown as McpTransportOptions)
  await assert.rejects(async () => await app.ready(), (error: Error) => {
    assert.match(error.message, /\/responseMode: expected one of "auto", "json", "sse" \(got "xml"\)/)
    assert.match(error.message, /\/bodyLimit: Expected integer to be greater or equal to 1 \(got 0\)/)
    assert.match(error.message, /\/strictAccept: Expected boolean \(got "yes"\)/)
    return true
  })
})

test('path: the endpoint is served there and only there', async (t) => {
  const app = await buildApp(t, { transport: { path: '/rpc' } })
  const response = await post(app, initializeBody(), {}, '/rpc')
  assert.equal(response.statusCode, 200)
  assert.equal(typeof response.headers['mcp-session-id'], 'string')
  assert.equal((await post(app, initializeBody())).statusCode, 404)
})

test('serverInfo and instructions are announced by initialize', async (t) => {
  const app = await buildApp(t, {
    transport: { serverInfo: { name: 'notes', version: '2.1.0', title: 'Notes' }, instructions: 'Use the notes tools.' }
  })
  const response = await post(app, initializeBody())
  const { result } = JSON.parse(response.body)
  assert.deepEqual(result.serverInfo, { name: 'notes', version: '2.1.0', title: 'Notes' })
  assert.equal(result.instructions, 'Use the notes tools.')
})

test('server: a given McpServer is served and decorated as app.mcp', async (t) => {
  const server = new McpServer({ name: 'given', version: '9.9.9' })
  server.tool({ name: 'given-tool', handler: () => ({ content: [] }) })
  const app = await buildApp(t, { transport: { server } })
  assert.equal(app.mcp, server)
  const { headers } = await initialize(app)
  const listed = JSON.parse((await post(app, rpc(1, 'tools/list'), headers)).body)
  assert.deepEqual(listed.result.tools.map((tool: { name: string }) => tool.name), ['given-tool'])
})

test('pageSize: lists are paginated', async (t) => {
  const app = await buildApp(t, {
    transport: { pageSize: 1 },
    declare: (mcp) => {
      mcp.tool({ name: 'a', handler: () => ({ content: [] }) })
      mcp.tool({ name: 'b', handler: () => ({ content: [] }) })
    }
  })
  const { headers } = await initialize(app)
  const first = JSON.parse((await post(app, rpc(1, 'tools/list'), headers)).body).result
  assert.equal(first.tools.length, 1)
  assert.equal(typeof first.nextCursor, 'string')
  const second = JSON.parse((await post(app, rpc(2, 'tools/list', { cursor: first.nextCursor }), headers)).body).result
  assert.equal(second.tools.length, 1)
  assert.notEqual(second.tools[0].name, first.tools[0].name)
})

test('legacySse: true serves the default paths', async (t) => {
  const app = await buildApp(t, { transport: { legacySse: true } })
  const unknown = await app.inject({ method: 'POST', url: '/messages?sessionId=x', headers: { 'content-type': 'application/json' }, payload: '{}' })
  assert.equal(unknown.statusCode, 404)
  assert.equal(JSON.parse(unknown.body).error.code, -32001)
  await assertServes(app, (await initialize(app)).headers)
})
