import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import {
  assertRpcError, assertServes, buildApp, envelope, initialize, modernPost, modernRequest, post, rpc, type BuildOptions
} from './helpers.ts'

// 2026-07-28 on the endpoint that also serves the 2025 revisions: the modern wire, its
// refusals (each a test of status, code and body), and results shaped per revision.

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo'

function declare (mcp: McpServer): void {
  mcp.tool({ name: 'echo', description: 'Echoes', inputSchema: Type.Object({ text: Type.String() }), handler: ({ text }) => ({ content: [{ type: 'text', text }] }) })
  mcp.tool({
    name: 'weather',
    title: 'Weather',
    description: 'Structured',
    icons: [{ src: 'https://example.com/sun.png' }],
    outputSchema: Type.Object({ temperature: Type.Number() }),
    handler: () => ({ structuredContent: { temperature: 21 } })
  })
  mcp.resource({ uri: 'notes://1', name: 'note', read: (uri) => ({ contents: [{ uri, text: 'one' }] }) })
}

async function setup (t: TestContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  return buildApp(t, { declare, ...options })
}

function resultOf (response: { statusCode: number, body: string }): Record<string, any> {
  assert.equal(response.statusCode, 200, response.body)
  const body = JSON.parse(response.body)
  assert.ok('result' in body, response.body)
  return body.result
}

/** A modern discover still gets its answer: the endpoint serves after whatever came before. */
async function assertServesModern (app: FastifyInstance): Promise<void> {
  const result = resultOf(await modernPost(app, modernRequest('still-serving', 'server/discover')))
  assert.deepEqual(result.supportedVersions, ['2026-07-28'])
}

test('server/discover: versions, honest capabilities, identity in _meta, caching hints; no session', async (t) => {
  const app = await setup(t, { transport: { instructions: 'Use echo.', serverInfo: { name: 'notes', version: '2.0.0' } } })
  const response = await modernPost(app, modernRequest(1, 'server/discover'))
  assert.equal(response.headers['mcp-session-id'], undefined, 'a modern answer never mints a session')
  assert.deepEqual(resultOf(response), {
    supportedVersions: ['2026-07-28'],
    capabilities: { logging: {}, tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, completions: {} },
    instructions: 'Use echo.',
    resultType: 'complete',
    _meta: { [SERVER_INFO]: { name: 'notes', version: '2.0.0' } },
    ttlMs: 0,
    cacheScope: 'public'
  })
  // clientInfo is optional.
  const bare = modernRequest(2, 'server/discover')
  delete bare.params._meta!['io.modelcontextprotocol/clientInfo' as keyof object]
  assert.equal(resultOf(await modernPost(app, bare)).resultType, 'complete')
})

test('every result carries resultType and serverInfo; lists and reads carry caching hints, calls do not', async (t) => {
  const app = await setup(t)
  const list = resultOf(await modernPost(app, modernRequest(1, 'tools/list')))
  assert.deepEqual(list.tools.map((tool: { name: string }) => tool.name), ['echo', 'weather'], 'registration order, every time')
  assert.deepEqual([list.resultType, list.ttlMs, list.cacheScope], ['complete', 0, 'public'])
  const call = resultOf(await modernPost(app, modernRequest(2, 'tools/call', { name: 'echo', arguments: { text: 'hi' } })))
  assert.deepEqual(call, { content: [{ type: 'text', text: 'hi' }], resultType: 'complete', _meta: { [SERVER_INFO]: { name: 'mcp-fastify', version: '0.0.0' } } })
  const read = resultOf(await modernPost(app, modernRequest(3, 'resources/read', { uri: 'notes://1' })))
  assert.deepEqual([read.resultType, read.ttlMs, read.cacheScope], ['complete', 0, 'private'])
})

test('caching hints: per kind from the options, per resource from its definition, private when a principal asks', async (t) => {
  const app = await setup(t, {
    transport: { caching: { tools: { ttlMs: 60_000 }, read: { ttlMs: 5000, scope: 'public' } } },
    before: async (app) => {
      app.addHook('onRequest', async (request) => {
        const who = request.headers['x-principal']
        if (typeof who === 'string') request.mcpPrincipal = who
      })
    },
    declare: (mcp) => {
      declare(mcp)
      mcp.resource({ uri: 'notes://live', name: 'live', cache: { ttlMs: 0, scope: 'private' }, read: (uri) => ({ contents: [{ uri, text: 'now' }] }) })
    }
  })
  const tools = resultOf(await modernPost(app, modernRequest(1, 'tools/list')))
  assert.deepEqual([tools.ttlMs, tools.cacheScope], [60_000, 'public'])
  const shared = resultOf(await modernPost(app, modernRequest(2, 'resources/read', { uri: 'notes://1' })))
  assert.deepEqual([shared.ttlMs, shared.cacheScope], [5000, 'public'])
  const live = resultOf(await modernPost(app, modernRequest(3, 'resources/read', { uri: 'notes://live' })))
  assert.deepEqual([live.ttlMs, live.cacheScope], [0, 'private'])
  const mine = resultOf(await modernPost(app, modernRequest(4, 'tools/list'), { 'x-principal': 'alice' }))
  assert.deepEqual([mine.ttlMs, mine.cacheScope], [60_000, 'private'], 'an answer to a principal is never public')
})

test('the envelope: missing, incomplete or malformed _meta is 400 with -32602, the id echoed', async (t) => {
  const app = await setup(t)
  const discover = (id: number, meta: unknown): object => ({ jsonrpc: '2.0', id, method: 'server/discover', params: meta === undefined ? {} : { _meta: meta } })
  const cases: Array<[number, unknown, RegExp, object]> = [
    [101, undefined, /no _meta envelope/, { envelope: { missing: ['_meta'] } }],
    [102, { 'io.modelcontextprotocol/clientCapabilities': {} }, /missing io\.modelcontextprotocol\/protocolVersion/, { envelope: { missing: ['io.modelcontextprotocol/protocolVersion'] } }],
    [103, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }, /missing io\.modelcontextprotocol\/clientCapabilities/, { envelope: { missing: ['io.modelcontextprotocol/clientCapabilities'] } }],
    [104, envelope(), /./, {}],
    [105, envelope('yes' as never), /clientCapabilities/, {}],
    [106, envelope({}, { 'io.modelcontextprotocol/logLevel': 'loud' }), /logLevel/, {}],
    [107, envelope({}, { 'io.modelcontextprotocol/clientInfo': { name: 1 } }), /clientInfo/, {}]
  ]
  for (const [id, meta, message, data] of cases) {
    const response = await post(app, discover(id, meta), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' })
    if (id === 104) {
      assert.equal(response.statusCode, 200, 'a whole envelope is served')
      continue
    }
    assertRpcError(response, { status: 400, code: -32602, message, id })
    if (Object.keys(data).length > 0) assert.deepEqual(JSON.parse(response.body).error.data, data)
  }
  await assertServesModern(app)
})

test('versions: header and claim must agree (-32020) before the version is checked (-32022 with the supported list)', async (t) => {
  const app = await setup(t)
  const claiming = (id: number, version: string): object => ({ jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: envelope({}, { 'io.modelcontextprotocol/protocolVersion': version }) } })
  assertRpcError(await post(app, claiming(1, 'v999.0.0'), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' }),
    { status: 400, code: -32020, message: /MCP-Protocol-Version header \(2026-07-28\) does not match _meta \(v999\.0\.0\)/, id: 1 })
  const unsupported = await post(app, claiming(2, 'v999.0.0'), { 'mcp-protocol-version': 'v999.0.0', 'mcp-method': 'server/discover' })
  assertRpcError(unsupported, { status: 400, code: -32022, message: /v999\.0\.0/, id: 2 })
  assert.deepEqual(JSON.parse(unsupported.body).error.data, { supported: ['2026-07-28'], requested: 'v999.0.0' })
  // A claim without the header: the header is required.
  assertRpcError(await post(app, claiming(3, '2026-07-28'), { 'mcp-method': 'server/discover' }),
    { status: 400, code: -32020, message: /MCP-Protocol-Version header is required/, id: 3 })
  // A 2025 version claimed in the envelope is not an envelope version.
  assertRpcError(await post(app, claiming(4, '2025-11-25'), { 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'server/discover' }),
    { status: 400, code: -32022, message: /2025-11-25/, id: 4 })
  await assertServesModern(app)
})

test('mirrored headers: Mcp-Method and Mcp-Name must match the body (-32020); the base64 form is decoded', async (t) => {
  const app = await setup(t)
  const call = modernRequest(1, 'tools/call', { name: 'echo', arguments: { text: 'x' } })
  assertRpcError(await modernPost(app, call, { 'mcp-method': 'tools/list' }), { status: 400, code: -32020, message: /Mcp-Method/, id: 1 })
  assertRpcError(await modernPost(app, call, { 'mcp-name': 'other' }), { status: 400, code: -32020, message: /Mcp-Name/, id: 1 })
  const withoutName = await post(app, call, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' })
  assertRpcError(withoutName, { status: 400, code: -32020, message: /Mcp-Name/, id: 1 })
  const withoutMethod = await post(app, call, { 'mcp-protocol-version': '2026-07-28', 'mcp-name': 'echo' })
  assertRpcError(withoutMethod, { status: 400, code: -32020, message: /Mcp-Method/, id: 1 })
  const encoded = await modernPost(app, call, { 'mcp-name': `=?base64?${Buffer.from('echo').toString('base64')}?=` })
  assert.equal(resultOf(encoded).content[0].text, 'x')
  await assertServesModern(app)
})

test('x-mcp-header parameters are checked as Mcp-Param-* headers', async (t) => {
  const app = await setup(t, {
    declare: (mcp) => mcp.tool({
      name: 'forecast',
      description: 'Regional',
      inputSchema: Type.Object({ region: Type.String({ 'x-mcp-header': 'Region' }), days: Type.Optional(Type.Integer({ 'x-mcp-header': 'Days' })) }),
      handler: ({ region }) => ({ content: [{ type: 'text', text: region }] })
    })
  })
  const call = (args: object): ReturnType<typeof modernRequest> => modernRequest(1, 'tools/call', { name: 'forecast', arguments: args })
  assert.equal(resultOf(await modernPost(app, call({ region: 'eu', days: 3 }), { 'mcp-param-region': 'eu', 'mcp-param-days': '3' })).content[0].text, 'eu')
  assertRpcError(await modernPost(app, call({ region: 'eu' }), {}), { status: 400, code: -32020, message: /Region/, id: 1 })
  assertRpcError(await modernPost(app, call({ region: 'eu' }), { 'mcp-param-region': 'us' }), { status: 400, code: -32020, message: /Region/, id: 1 })
  const listed = resultOf(await modernPost(app, modernRequest(2, 'tools/list'))).tools[0]
  assert.equal(listed.inputSchema.properties.region['x-mcp-header'], 'Region', 'clients see the annotation')
})

test('methods of the other era, and unknown ones, are 404 with -32601 on modern traffic', async (t) => {
  const app = await setup(t)
  for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'unknown/method', 'prompts/list']) {
    const params = method.startsWith('resources/') ? { uri: 'notes://1' } : method === 'logging/setLevel' ? { level: 'info' } : {}
    assertRpcError(await modernPost(app, modernRequest(500, method, params)), { status: 404, code: -32601, message: `Method not found: ${method}`, id: 500 })
  }
  // prompts/list is behind the prompts capability, which this server does not advertise; on
  // 2025 traffic nothing changes.
  const { headers } = await initialize(app)
  const legacy = await post(app, rpc(1, 'prompts/list'), headers)
  assert.deepEqual(JSON.parse(legacy.body).result, { prompts: [] })
  await assertServesModern(app)
})

test('initialize under a 2026 header is -32020; 2026 methods on 2025 traffic are -32601 with 200', async (t) => {
  const app = await setup(t)
  const initialize2026 = rpc(7, 'initialize', { protocolVersion: '2026-07-28', capabilities: {}, clientInfo: { name: 'c', version: '1' } })
  assertRpcError(await post(app, initialize2026, { 'mcp-protocol-version': '2026-07-28' }), { status: 400, code: -32020, message: /initialize/, id: 7 })
  const { headers } = await initialize(app)
  for (const method of ['server/discover', 'subscriptions/listen']) {
    const response = await post(app, rpc(8, method, { notifications: {} }), headers)
    assert.equal(response.statusCode, 200)
    assert.deepEqual(JSON.parse(response.body).error, { code: -32601, message: `Method not found: ${method}` })
  }
  await assertServes(app, headers)
})

test('a modern request is never asked for a session, even one naming an unknown session', async (t) => {
  const app = await setup(t)
  const response = await modernPost(app, modernRequest(1, 'tools/list'), { 'mcp-session-id': 'no-such-session' })
  assert.equal(resultOf(response).tools.length, 2)
  assert.equal(response.headers['mcp-session-id'], undefined)
})

test('a modern notification is accepted with 202 and no body', async (t) => {
  const app = await setup(t)
  const cancelled = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'listen:0', _meta: envelope() } }
  const response = await post(app, cancelled, { 'mcp-protocol-version': '2026-07-28' })
  assert.equal(response.statusCode, 202)
  assert.equal(response.body, '')
})

test('results are shaped per revision: structuredContent, outputSchema, title and icons only where the revision knows them', async (t) => {
  const app = await setup(t)
  const listFor = async (version: string): Promise<Record<string, any>> => {
    const { headers } = await initialize(app, version)
    const tools = JSON.parse((await post(app, rpc(1, 'tools/list'), headers)).body).result.tools[1]
    const call = JSON.parse((await post(app, rpc(2, 'tools/call', { name: 'weather', arguments: {} }), headers)).body).result
    return { tools, call }
  }
  const old = await listFor('2025-03-26')
  assert.deepEqual(Object.keys(old.tools).sort(), ['description', 'inputSchema', 'name'])
  assert.deepEqual(old.call, { content: [{ type: 'text', text: '{"temperature":21}' }] })
  const mid = await listFor('2025-06-18')
  assert.deepEqual(Object.keys(mid.tools).sort(), ['description', 'inputSchema', 'name', 'outputSchema', 'title'])
  assert.deepEqual(mid.call.structuredContent, { temperature: 21 })
  const latest = await listFor('2025-11-25')
  assert.deepEqual(Object.keys(latest.tools).sort(), ['description', 'icons', 'inputSchema', 'name', 'outputSchema', 'title'])
  assert.equal('resultType' in latest.call, false, 'resultType is for 2026-07-28 only')
})

test('a resource nothing serves: -32002 for 2025 clients, -32602 for 2026-07-28 ones (never empty contents)', async (t) => {
  const app = await setup(t)
  const { headers } = await initialize(app)
  const legacy = JSON.parse((await post(app, rpc(1, 'resources/read', { uri: 'notes://none' }), headers)).body)
  assert.deepEqual(legacy.error, { code: -32002, message: 'Resource not found', data: { uri: 'notes://none' } })
  const modern = await modernPost(app, modernRequest(2, 'resources/read', { uri: 'notes://none' }))
  assert.equal(modern.statusCode, 200)
  assert.deepEqual(JSON.parse(modern.body).error, { code: -32602, message: 'Resource not found', data: { uri: 'notes://none' } })
})
