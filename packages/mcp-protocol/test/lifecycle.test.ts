import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  EmptyResultSchema as SdkEmptyResultSchema,
  InitializeResultSchema as SdkInitializeResultSchema,
  JSONRPCMessageSchema as SdkJSONRPCMessageSchema
} from '@modelcontextprotocol/sdk/types.js'
import {
  DEFAULT_HTTP_PROTOCOL_VERSION, ErrorCode, LATEST_PROTOCOL_VERSION, McpError, HANDSHAKE_VERSIONS, statelessSession,
  type McpContext
} from '../src/index.ts'
import { assertSdk, call, errorOf, fail, makeSession, request, send, server } from './helpers.ts'

function initializeParams (protocolVersion: string): Record<string, unknown> {
  return {
    protocolVersion,
    capabilities: { sampling: {} },
    clientInfo: { name: 'client', version: '0.0.1' }
  }
}

test('initialize echoes every supported protocol version', async () => {
  for (const version of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
    const mcp = server()
    const response = await send(mcp, 'initialize', initializeParams(version))
    const result = (response as { result: Record<string, unknown> }).result
    assert.equal(result.protocolVersion, version)
    assertSdk(SdkInitializeResultSchema, result, `initialize result for ${version}`)
    assertSdk(SdkJSONRPCMessageSchema, response, `initialize response for ${version}`)
  }
  assert.deepEqual([...HANDSHAKE_VERSIONS], ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'])
})

test('initialize answers an unknown protocol version with the latest, 2025-11-25', async () => {
  assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25')
  for (const version of ['1999-01-01', '2024-10-07', '2026-01-01', 'latest', '']) {
    const result = await call(server(), 'initialize', initializeParams(version))
    assert.equal(result.protocolVersion, '2025-11-25', `requested ${JSON.stringify(version)}`)
  }
})

test('initialize returns serverInfo and instructions from the options', async () => {
  const mcp = server({
    name: 'notes',
    version: '2.0.0',
    title: 'Notes',
    description: 'Keeps notes',
    websiteUrl: 'https://example.com',
    icons: [{ src: 'https://example.com/icon.png', mimeType: 'image/png' }],
    instructions: 'Use search before create.'
  })
  const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
  assert.deepEqual(result.serverInfo, {
    name: 'notes',
    version: '2.0.0',
    title: 'Notes',
    description: 'Keeps notes',
    websiteUrl: 'https://example.com',
    icons: [{ src: 'https://example.com/icon.png', mimeType: 'image/png' }]
  })
  assert.equal(result.instructions, 'Use search before create.')
  assertSdk(SdkInitializeResultSchema, result, 'initialize result')
})

test('initialize leaves out what the options do not give', async () => {
  const result = await call(server({ name: 'bare', version: '0.1.0' }), 'initialize', initializeParams('2025-06-18'))
  assert.deepEqual(result.serverInfo, { name: 'bare', version: '0.1.0' })
  assert.equal('instructions' in result, false)
})

test('capabilities of an empty server: logging only', async () => {
  const result = await call(server(), 'initialize', initializeParams('2025-11-25'))
  assert.deepEqual(result.capabilities, { logging: {} })
})

test('capabilities follow what is registered', async (t) => {
  const handler = () => ({ content: [] })
  const read = (uri: string) => ({ contents: [{ uri, text: '' }] })
  const get = () => ({ messages: [] })

  await t.test('a tool', async () => {
    const mcp = server()
    mcp.tool({ name: 'echo', handler })
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, { logging: {}, tools: { listChanged: true } })
  })

  await t.test('a resource', async () => {
    const mcp = server()
    mcp.resource({ uri: 'mem://a', name: 'a', read })
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, {
      logging: {}, resources: { subscribe: true, listChanged: true }, completions: {}
    })
  })

  await t.test('a resource template', async () => {
    const mcp = server()
    mcp.resourceTemplate({ uriTemplate: 'mem://{id}', name: 'items', read: (uri) => read(uri) })
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, {
      logging: {}, resources: { subscribe: true, listChanged: true }, completions: {}
    })
  })

  await t.test('a prompt', async () => {
    const mcp = server()
    mcp.prompt({ name: 'greet', get })
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, { logging: {}, prompts: { listChanged: true }, completions: {} })
  })

  await t.test('everything', async () => {
    const mcp = server()
    mcp.tool({ name: 'echo', handler })
    mcp.resource({ uri: 'mem://a', name: 'a', read })
    mcp.prompt({ name: 'greet', get })
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, {
      logging: {},
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {}
    })
    assertSdk(SdkInitializeResultSchema, result, 'initialize result')
  })

  await t.test('a removed tool is no longer announced', async () => {
    const mcp = server()
    const registration = mcp.tool({ name: 'echo', handler })
    assert.ok(mcp.capabilities().tools !== undefined)
    registration.remove()
    const result = await call(mcp, 'initialize', initializeParams('2025-11-25'))
    assert.deepEqual(result.capabilities, { logging: {} })
  })
})

test('an unknown method is -32601 Method not found, with the request id', async () => {
  const mcp = server()
  const response = await mcp.handleRequest(request('tools/frobnicate', {}, 'req-7'), makeSession())
  assert.ok(response !== undefined && 'error' in response)
  assert.equal(response.id, 'req-7')
  assert.equal(response.error.code, -32601)
  assert.match(response.error.message, /tools\/frobnicate/)
  assertSdk(SdkJSONRPCMessageSchema, response, 'the error response')
})

test('server-to-client methods are not answered as client requests', async () => {
  for (const method of ['sampling/createMessage', 'roots/list', 'elicitation/create', 'notifications/initialized']) {
    const error = await fail(server(), method, {})
    assert.equal(error.code, ErrorCode.MethodNotFound, method)
  }
})

test('invalid params are -32602 with a message naming the failing path', async (t) => {
  const mcp = server()
  mcp.tool({ name: 'echo', handler: () => ({ content: [] }) })

  await t.test('tools/call with a non-string name', async () => {
    const error = await fail(mcp, 'tools/call', { name: 42 })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/name/)
  })

  await t.test('tools/call with arguments that are not an object', async () => {
    const error = await fail(mcp, 'tools/call', { name: 'echo', arguments: 'x' })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/arguments/)
  })

  await t.test('initialize without clientInfo', async () => {
    const error = await fail(mcp, 'initialize', { protocolVersion: '2025-11-25', capabilities: {} })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/clientInfo/)
  })

  await t.test('resources/read without params', async () => {
    const error = await fail(mcp, 'resources/read')
    assert.equal(error.code, -32602)
  })

  await t.test('resources/read without uri', async () => {
    const error = await fail(mcp, 'resources/read', {})
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/uri/)
  })

  await t.test('logging/setLevel with an unknown level', async () => {
    const error = await fail(mcp, 'logging/setLevel', { level: 'verbose' })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/level/)
  })

  await t.test('tools/list with a non-string cursor (params are optional for this method)', async () => {
    const error = await fail(mcp, 'tools/list', { cursor: 5 })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/cursor/)
  })

  await t.test('a progress token that is neither string nor integer', async () => {
    const error = await fail(mcp, 'tools/call', { name: 'echo', _meta: { progressToken: 1.5 } })
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/_meta\/progressToken/)
  })
})

test('ping answers {} with or without params', async () => {
  const mcp = server()
  for (const params of [undefined, {}, { _meta: { progressToken: 'p' } }]) {
    const result = await call(mcp, 'ping', params)
    assert.deepEqual(result, {})
    assertSdk(SdkEmptyResultSchema, result, 'ping result')
  }
})

test('a response carries the id of its request, string or number', async () => {
  const mcp = server()
  for (const id of [0, 17, 'abc', '']) {
    const response = await mcp.handleRequest(request('ping', undefined, id), makeSession())
    assert.deepEqual(response, { jsonrpc: '2.0', id, result: {} })
  }
})

test('an Error thrown by a handler is -32603 without detail, and reaches onError', async () => {
  const seen: Array<{ error: unknown, ctx: McpContext }> = []
  const mcp = server({ onError: (error, ctx) => { seen.push({ error, ctx }) } })
  const boom = new Error('database password is hunter2')
  mcp.resource({ uri: 'mem://secret', name: 'secret', read: () => { throw boom } })
  const response = await mcp.handleRequest(request('resources/read', { uri: 'mem://secret' }, 9), makeSession())
  const error = errorOf(response)
  assert.deepEqual(error, { code: -32603, message: 'Internal error' })
  assert.equal(seen.length, 1)
  assert.equal(seen[0]!.error, boom)
  assert.equal(seen[0]!.ctx.method, 'resources/read')
  assert.equal(seen[0]!.ctx.requestId, 9)
})

test('an onError that throws does not change the answer', async () => {
  const mcp = server({ onError: () => { throw new Error('logger down') } })
  mcp.resource({ uri: 'mem://x', name: 'x', read: () => { throw new Error('boom') } })
  const response = await mcp.handleRequest(request('resources/read', { uri: 'mem://x' }, 'r-1'), makeSession())
  assert.deepEqual(response, { jsonrpc: '2.0', id: 'r-1', error: { code: -32603, message: 'Internal error' } })
})

test('an McpError thrown by a handler keeps its code, message and data', async () => {
  const seen: unknown[] = []
  const mcp = server({ onError: (error) => { seen.push(error) } })
  mcp.prompt({
    name: 'limited',
    get: () => { throw new McpError(-32050, 'Quota exceeded', { retryAfter: 30 }) }
  })
  const error = await fail(mcp, 'prompts/get', { name: 'limited' })
  assert.deepEqual(error, { code: -32050, message: 'Quota exceeded', data: { retryAfter: 30 } })
  assert.equal(seen.length, 0)
})

test('handleNotification ignores unknown and malformed notifications', () => {
  const mcp = server()
  const session = makeSession()
  assert.doesNotThrow(() => {
    mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)
    mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/whatever', params: { a: 1 } }, session)
    mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: { x: 1 } } }, session)
    mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: {} }, session)
    mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 'x' } }, session)
  })
})

test('handleResponse returns false for a response nobody awaits', () => {
  const mcp = server()
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: 'unknown', result: {} }, makeSession()), false)
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: 3, result: {} }, makeSession()), false)
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', error: { code: -1, message: 'x' } }, makeSession()), false)
})

test('statelessSession: no id, the given (or default 2025-03-26) version, no capabilities, and state changes are dropped', async () => {
  assert.equal(DEFAULT_HTTP_PROTOCOL_VERSION, '2025-03-26')
  const byDefault = statelessSession()
  assert.equal(byDefault.id, undefined)
  assert.equal(byDefault.protocolVersion, '2025-03-26')
  assert.deepEqual(byDefault.clientCapabilities, {})
  assert.equal(byDefault.logLevel, undefined)
  const session = statelessSession('2025-11-25')
  assert.equal(session.protocolVersion, '2025-11-25')

  const mcp = server()
  mcp.resource({ uri: 'mem://a', name: 'a', read: (uri) => ({ contents: [{ uri, text: 'a' }] }) })
  assert.deepEqual(await call(mcp, 'logging/setLevel', { level: 'error' }, session), {})
  assert.equal(session.logLevel, undefined)
  assert.deepEqual(await call(mcp, 'resources/subscribe', { uri: 'mem://a' }, session), {})
  assert.deepEqual(await call(mcp, 'resources/read', { uri: 'mem://a' }, session), { contents: [{ uri: 'mem://a', text: 'a' }] })
})
