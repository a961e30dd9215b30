import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import {
  CallToolResultSchema as SdkCallToolResultSchema,
  JSONRPCMessageSchema as SdkJSONRPCMessageSchema,
  ListToolsResultSchema as SdkListToolsResultSchema,
  ToolListChangedNotificationSchema as SdkToolListChangedNotificationSchema
} from '@modelcontextprotocol/sdk/types.js'
import {
  ErrorCode, McpError, UserError, errorCodes,
  type JSONRPCNotification, type McpContext, type Tool
} from '../src/index.ts'
import { assertSdk, call, fail, makeSession, send, server, symbolPaths, text } from './helpers.ts'

const ok = () => ({ content: [] })

async function listTools (mcp: ReturnType<typeof server>): Promise<Tool[]> {
  const result = await call(mcp, 'tools/list')
  assertSdk(SdkListToolsResultSchema, result, 'tools/list result')
  return result.tools as Tool[]
}

test('tools/list shows each tool with its metadata, in registration order', async () => {
  const mcp = server()
  mcp.tool({
    name: 'search',
    title: 'Search',
    description: 'Finds notes',
    annotations: { readOnlyHint: true, openWorldHint: false },
    icons: [{ src: 'https://example.com/s.svg' }],
    _meta: { 'example.com/tier': 'free' },
    handler: ok
  })
  mcp.tool({ name: 'create', handler: ok })
  const tools = await listTools(mcp)
  assert.deepEqual(tools.map((tool) => tool.name), ['search', 'create'])
  assert.deepEqual(JSON.parse(JSON.stringify(tools[0])), {
    name: 'search',
    title: 'Search',
    description: 'Finds notes',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true, openWorldHint: false },
    icons: [{ src: 'https://example.com/s.svg' }],
    _meta: { 'example.com/tier': 'free' }
  })
  // Members not given are absent, not undefined.
  assert.deepEqual(Object.keys(tools[1]!).sort(), ['inputSchema', 'name'])
})

test('tools/list emits a TypeBox schema as plain JSON Schema, without TypeBox symbols', async () => {
  const mcp = server()
  const inputSchema = Type.Object({
    query: Type.String({ description: 'What to look for', minLength: 1 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    tags: Type.Optional(Type.Array(Type.String()))
  })
  const outputSchema = Type.Object({ hits: Type.Array(Type.Object({ id: Type.String() })) })
  mcp.tool({ name: 'search', inputSchema, outputSchema, handler: () => ({ structuredContent: { hits: [] } }) })
  const [tool] = await listTools(mcp)
  const expectedInput = {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'What to look for', minLength: 1 },
      limit: { type: 'integer', minimum: 1, maximum: 50 },
      tags: { type: 'array', items: { type: 'string' } }
    },
    required: ['query']
  }
  // What goes on the wire is the JSON Schema...
  assert.deepEqual(JSON.parse(JSON.stringify(tool!.inputSchema)), expectedInput)
  // ...and so is what the engine hands the transport: no symbol-keyed TypeBox markers.
  assert.deepEqual(symbolPaths(tool), [])
  assert.deepEqual(tool!.inputSchema, expectedInput)
  assert.deepEqual(tool!.outputSchema, {
    type: 'object',
    properties: { hits: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } },
    required: ['hits']
  })
})

test('a raw 2020-12 JSON Schema is listed untouched and validates arguments', async () => {
  const inputSchema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object' as const,
    $defs: {
      point: {
        type: 'object',
        properties: { x: { type: 'number' }, y: { type: 'number' } },
        required: ['x', 'y'],
        additionalProperties: false
      }
    },
    properties: {
      from: { $ref: '#/$defs/point' },
      to: { $ref: '#/$defs/point' }
    },
    required: ['from', 'to']
  }
  const pristine = structuredClone(inputSchema)
  const calls: unknown[] = []
  const mcp = server()
  mcp.tool({
    name: 'distance',
    inputSchema,
    handler: (args) => {
      calls.push(args)
      const { from, to } = args as { from: { x: number, y: number }, to: { x: number, y: number } }
      return { content: [{ type: 'text', text: String(Math.hypot(to.x - from.x, to.y - from.y)) }] }
    }
  })
  const [tool] = await listTools(mcp)
  assert.deepEqual(tool!.inputSchema, pristine)
  assert.deepEqual(inputSchema, pristine, 'the registered schema is not modified')
  assert.deepEqual(symbolPaths(tool), [])

  const result = await call(mcp, 'tools/call', { name: 'distance', arguments: { from: { x: 0, y: 0 }, to: { x: 3, y: 4 } } })
  assert.equal(text(result), '5')

  const invalid = await call(mcp, 'tools/call', { name: 'distance', arguments: { from: { x: 0, y: 0 }, to: { x: 3 } } })
  assert.equal(invalid.isError, true)
  assert.match(text(invalid), /\/to/)
  assert.match(text(invalid), /distance/)
  assert.equal(calls.length, 1, 'the handler does not run for invalid arguments')
})

test('a tool without inputSchema lists an empty object schema and is called with {}', async () => {
  const mcp = server()
  let received: unknown
  mcp.tool({ name: 'now', handler: (args) => { received = args; return { content: [{ type: 'text', text: 'noon' }] } } })
  const [tool] = await listTools(mcp)
  assert.deepEqual(JSON.parse(JSON.stringify(tool!.inputSchema)), { type: 'object', properties: {} })
  const result = await call(mcp, 'tools/call', { name: 'now' })
  assert.deepEqual(received, {})
  assert.deepEqual(result, { content: [{ type: 'text', text: 'noon' }] })
})

test('tools/call passes the arguments and the context to the handler and returns its result', async () => {
  const mcp = server()
  let seen: { args: unknown, ctx: McpContext } | undefined
  mcp.tool({
    name: 'add',
    inputSchema: Type.Object({ a: Type.Number(), b: Type.Number() }),
    handler: async (args, ctx) => {
      seen = { args, ctx }
      return { content: [{ type: 'text', text: String(args.a + args.b) }] }
    }
  })
  const session = makeSession({ id: 's-1' })
  const response = await mcp.handleRequest(
    { jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 40 } } }, session)
  assert.deepEqual(response, { jsonrpc: '2.0', id: 'call-1', result: { content: [{ type: 'text', text: '42' }] } })
  assertSdk(SdkJSONRPCMessageSchema, response, 'tools/call response')
  assertSdk(SdkCallToolResultSchema, (response as { result: unknown }).result, 'tools/call result')
  assert.deepEqual(seen!.args, { a: 2, b: 40 })
  assert.equal(seen!.ctx.session, session)
  assert.equal(seen!.ctx.requestId, 'call-1')
  assert.equal(seen!.ctx.method, 'tools/call')
})

test('arguments that fail the input schema are a tool error naming the path, not a JSON-RPC error', async () => {
  const mcp = server()
  let called = false
  mcp.tool({
    name: 'repeat',
    inputSchema: Type.Object({ word: Type.String(), count: Type.Integer({ minimum: 1 }) }),
    handler: () => { called = true; return { content: [] } }
  })
  for (const [args, path] of [
    [{ word: 'a', count: 'three' }, '/count'],
    [{ word: 'a', count: 0 }, '/count'],
    [{ count: 2 }, '/word']
  ] as const) {
    const response = await send(mcp, 'tools/call', { name: 'repeat', arguments: args })
    assert.ok(response !== undefined && 'result' in response, `a result for ${JSON.stringify(args)}`)
    const result = response.result
    assert.equal(result.isError, true)
    assert.ok(text(result).includes(path), `${text(result)} names ${path}`)
    assertSdk(SdkCallToolResultSchema, result, 'the tool error')
  }
  assert.equal(called, false)
})

test('the usual JSON Schema formats are checked for TypeBox input schemas', async () => {
  const mcp = server()
  const calls: unknown[] = []
  mcp.tool({
    name: 'invite',
    inputSchema: Type.Object({
      email: Type.String({ format: 'email' }),
      at: Type.String({ format: 'date-time' }),
      id: Type.String({ format: 'uuid' }),
      link: Type.String({ format: 'uri' })
    }),
    handler: (args) => { calls.push(args); return { content: [{ type: 'text', text: 'invited' }] } }
  })
  const valid = { email: 'ada@example.com', at: '2025-11-25T10:00:00Z', id: '123e4567-e89b-12d3-a456-426614174000', link: 'https://example.com/x' }
  assert.deepEqual(await call(mcp, 'tools/call', { name: 'invite', arguments: valid }), { content: [{ type: 'text', text: 'invited' }] })
  for (const [member, value] of [['email', 'not-an-email'], ['at', 'yesterday'], ['id', '1234'], ['link', 'no scheme']] as const) {
    const result = await call(mcp, 'tools/call', { name: 'invite', arguments: { ...valid, [member]: value } })
    assert.equal(result.isError, true, `${member}: ${value}`)
    assert.ok(text(result).includes(`/${member}`), text(result))
  }
  assert.equal(calls.length, 1)
})

test('an unknown tool is a -32602 protocol error', async () => {
  const mcp = server()
  mcp.tool({ name: 'known', handler: ok })
  const error = await fail(mcp, 'tools/call', { name: 'unknown_tool' })
  assert.equal(error.code, -32602)
  assert.match(error.message, /unknown_tool/)
})

test('an Error thrown by the handler is reported to onError; the client gets a tool error without its message', async () => {
  const seen: Array<{ error: unknown, target: string | undefined }> = []
  const mcp = server({ onError: (error, ctx) => { seen.push({ error, target: ctx.target }) } })
  mcp.tool({ name: 'flaky', handler: () => { throw new Error('connect ECONNREFUSED postgres://admin:s3cret@10.0.0.5/db') } })
  mcp.tool({ name: 'async_flaky', handler: async () => { throw new TypeError('bad date') } })
  mcp.tool({ name: 'stringly', handler: () => { throw 'plain string' } }) // eslint-disable-line no-throw-literal

  for (const name of ['flaky', 'async_flaky', 'stringly']) {
    const result = await call(mcp, 'tools/call', { name })
    assert.deepEqual(result, { content: [{ type: 'text', text: `Tool ${name} failed with an internal error` }], isError: true })
    assertSdk(SdkCallToolResultSchema, result, 'the tool error')
  }
  assert.deepEqual(seen.map(({ target }) => target), ['flaky', 'async_flaky', 'stringly'])
  assert.match(String(seen[0]!.error), /s3cret/, 'the report has the whole error')
  assert.equal(seen[2]!.error, 'plain string')
})

test('a UserError thrown by the handler is a tool error carrying its message, not reported', async () => {
  const seen: unknown[] = []
  const mcp = server({ onError: (error) => { seen.push(error) } })
  mcp.tool({ name: 'lookup', handler: async () => { throw new UserError('No city named Atlantis') } })
  assert.deepEqual(await call(mcp, 'tools/call', { name: 'lookup' }), { content: [{ type: 'text', text: 'No city named Atlantis' }], isError: true })
  assert.deepEqual(seen, [])
})

test('what a tool returns is checked: nothing, a number, a malformed content are -32603 and reported with the path', async () => {
  const seen: unknown[] = []
  const mcp = server({ onError: (error) => { seen.push(error) } })
  mcp.tool({ name: 'forgot', handler: (() => undefined) as never })
  mcp.tool({ name: 'number', handler: (() => 42) as never })
  mcp.tool({ name: 'malformed', handler: (() => ({ content: [{ type: 'text' }] })) as never })
  for (const name of ['forgot', 'number', 'malformed']) {
    assert.deepEqual(await fail(mcp, 'tools/call', { name }), { code: -32603, message: 'Internal error' }, name)
  }
  assert.equal(seen.length, 3)
  for (const [i, name] of ['forgot', 'number', 'malformed'].entries()) {
    const error = seen[i] as Error & { code: string }
    assert.equal(error.code, 'FST_MCP_PROTOCOL_INVALID_RESULT')
    assert.match(error.message, new RegExp(`tool "${name}" returned an invalid result: /`))
  }
  assert.match((seen[2] as Error).message, /\/content\/0/)
})

test('a tool, resource, template or prompt without its function fails at registration', () => {
  const mcp = server()
  assert.throws(() => mcp.tool({ name: 'nothing' } as never), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION', message: /tool "nothing" needs a handler function/ })
  assert.throws(() => mcp.resource({ uri: 'a://b', name: 'b' } as never), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.resourceTemplate({ uriTemplate: 'a://{b}', name: 'b' } as never), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.prompt({ name: 'p' } as never), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.equal(mcp.capabilities().tools, undefined, 'nothing was registered')
})

test('an McpError thrown by the handler is a JSON-RPC error with its code', async () => {
  const mcp = server()
  mcp.tool({ name: 'strict', handler: () => { throw new McpError(ErrorCode.InvalidParams, 'Needs a folder', { field: 'folder' }) } })
  mcp.tool({ name: 'custom', handler: async () => { throw new McpError(-32099, 'Custom failure') } })
  assert.deepEqual(await fail(mcp, 'tools/call', { name: 'strict' }), { code: -32602, message: 'Needs a folder', data: { field: 'folder' } })
  assert.deepEqual(await fail(mcp, 'tools/call', { name: 'custom' }), { code: -32099, message: 'Custom failure' })
})

test('a tool may return its own isError result', async () => {
  const mcp = server()
  mcp.tool({ name: 'deny', handler: () => ({ content: [{ type: 'text', text: 'not allowed' }], isError: true }) })
  assert.deepEqual(await call(mcp, 'tools/call', { name: 'deny' }), { content: [{ type: 'text', text: 'not allowed' }], isError: true })
})

test('outputSchema: structuredContent that fits is returned, and text content is added when missing', async () => {
  const mcp = server()
  const outputSchema = Type.Object({ temperature: Type.Number(), unit: Type.String() })
  mcp.tool({ name: 'weather', outputSchema, handler: () => ({ structuredContent: { temperature: 21.5, unit: 'C' } }) })
  mcp.tool({
    name: 'weather_text',
    outputSchema,
    handler: () => ({ content: [{ type: 'text', text: '21.5 degrees' }], structuredContent: { temperature: 21.5, unit: 'C' } })
  })

  const result = await call(mcp, 'tools/call', { name: 'weather' })
  assert.deepEqual(result.structuredContent, { temperature: 21.5, unit: 'C' })
  assert.equal(result.isError, undefined)
  assert.deepEqual(JSON.parse(text(result)), { temperature: 21.5, unit: 'C' })
  assert.equal((result.content as unknown[]).length, 1)
  assertSdk(SdkCallToolResultSchema, result, 'structured result')

  const own = await call(mcp, 'tools/call', { name: 'weather_text' })
  assert.deepEqual(own.content, [{ type: 'text', text: '21.5 degrees' }], 'the handler\'s content is kept')
  assert.deepEqual(own.structuredContent, { temperature: 21.5, unit: 'C' })
})

test('outputSchema: structuredContent that does not fit is -32603, reported with the path', async () => {
  const seen: Error[] = []
  const mcp = server({ onError: (error) => { seen.push(error as Error) } })
  const outputSchema = Type.Object({ temperature: Type.Number() })
  mcp.tool({ name: 'wrong', outputSchema, handler: () => ({ structuredContent: { temperature: 'warm' } as never }) })
  mcp.tool({ name: 'missing', outputSchema, handler: () => ({ content: [{ type: 'text', text: 'forgot' }] }) })

  assert.deepEqual(await fail(mcp, 'tools/call', { name: 'wrong' }), { code: -32603, message: 'Internal error' })
  assert.match(seen[0]!.message, /tool "wrong" returned an invalid result: \/structuredContent\/temperature/)
  assert.deepEqual(await fail(mcp, 'tools/call', { name: 'missing' }), { code: -32603, message: 'Internal error' })
  assert.match(seen[1]!.message, /tool "missing"/)
})

test('outputSchema: a raw JSON Schema is checked as well', async () => {
  const seen: Error[] = []
  const mcp = server({ onError: (error) => { seen.push(error as Error) } })
  mcp.tool({
    name: 'raw',
    outputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
    handler: (_args, ctx) => ({ structuredContent: { n: ctx.requestId === 1 ? 1 : 1.5 } })
  })
  const good = await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'raw' } }, makeSession())
  assert.deepEqual((good as { result: unknown }).result, { structuredContent: { n: 1 }, content: [{ type: 'text', text: '{"n":1}' }] })
  const bad = await mcp.handleRequest({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'raw' } }, makeSession())
  assert.ok(bad !== undefined && 'error' in bad)
  assert.deepEqual(bad.error, { code: -32603, message: 'Internal error' })
  assert.match(seen[0]!.message, /\/structuredContent\/n/)
})

test('outputSchema: an isError result is not checked against the schema', async () => {
  const mcp = server()
  mcp.tool({
    name: 'guarded',
    outputSchema: Type.Object({ value: Type.Number() }),
    handler: () => ({ content: [{ type: 'text', text: 'quota exceeded' }], isError: true })
  })
  mcp.tool({ name: 'thrower', outputSchema: Type.Object({ value: Type.Number() }), handler: () => { throw new Error('boom') } })
  assert.deepEqual(await call(mcp, 'tools/call', { name: 'guarded' }), { content: [{ type: 'text', text: 'quota exceeded' }], isError: true })
  assert.deepEqual(await call(mcp, 'tools/call', { name: 'thrower' }), { content: [{ type: 'text', text: 'Tool thrower failed with an internal error' }], isError: true })
})

test('a duplicate tool name throws FST_MCP_PROTOCOL_DUPLICATE', () => {
  const mcp = server()
  mcp.tool({ name: 'echo', handler: ok })
  assert.throws(() => mcp.tool({ name: 'echo', handler: ok }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'FST_MCP_PROTOCOL_DUPLICATE')
    assert.ok(error instanceof errorCodes.FST_MCP_PROTOCOL_DUPLICATE)
    assert.match(error.message, /echo/)
    return true
  })
})

test('invalid tool names throw FST_MCP_PROTOCOL_INVALID_DEFINITION', () => {
  for (const name of ['', 'has space', 'slash/name', 'comma,name', 'emoji😀', 'é', 'x'.repeat(129)]) {
    const mcp = server()
    assert.throws(() => mcp.tool({ name, handler: ok }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' }, JSON.stringify(name))
    assert.equal(mcp.capabilities().tools, undefined, 'nothing was registered')
  }
})

test('valid tool names per 2025-11-25 are accepted', async () => {
  const mcp = server()
  const names = ['getUser', 'DATA_EXPORT_v2', 'admin.tools.list', 'a-b', '_', 'x'.repeat(128)]
  for (const name of names) mcp.tool({ name, handler: ok })
  assert.deepEqual((await listTools(mcp)).map((tool) => tool.name), names)
})

test('input and output schemas must be object schemas', () => {
  const mcp = server()
  assert.throws(() => mcp.tool({ name: 'a', inputSchema: Type.String() as never, handler: ok }),
    { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.tool({ name: 'b', inputSchema: { type: 'array' } as never, handler: ok }),
    { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.tool({ name: 'c', outputSchema: Type.Array(Type.String()), handler: ok } as never),
    { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.equal(mcp.capabilities().tools, undefined)
})

test('remove() takes a tool back: gone from the list, and calling it is -32602', async () => {
  const mcp = server()
  const first = mcp.tool({ name: 'first', handler: ok })
  mcp.tool({ name: 'second', handler: ok })
  await listTools(mcp) // the listing is cached; removal must invalidate it
  first.remove()
  assert.deepEqual((await listTools(mcp)).map((tool) => tool.name), ['second'])
  assert.equal((await fail(mcp, 'tools/call', { name: 'first' })).code, -32602)
})

test('a stale registration does not remove a tool registered again under the same name', async () => {
  const mcp = server()
  const old = mcp.tool({ name: 'echo', handler: () => ({ content: [{ type: 'text', text: 'old' }] }) })
  old.remove()
  mcp.tool({ name: 'echo', handler: () => ({ content: [{ type: 'text', text: 'new' }] }) })
  old.remove()
  assert.equal(text(await call(mcp, 'tools/call', { name: 'echo' })), 'new')
})

test('notifications/tools/list_changed on every add and remove, through onNotification', async () => {
  const mcp = server()
  const seen: Array<{ notification: JSONRPCNotification, uri: string | undefined }> = []
  const off = mcp.onNotification((notification, uri) => { seen.push({ notification, uri }) })
  const a = mcp.tool({ name: 'a', handler: ok })
  assert.equal(seen.length, 1)
  assert.deepEqual(seen[0], { notification: { jsonrpc: '2.0', method: 'notifications/tools/list_changed' }, uri: undefined })
  assertSdk(SdkToolListChangedNotificationSchema, seen[0]!.notification, 'list_changed')
  assertSdk(SdkJSONRPCMessageSchema, seen[0]!.notification, 'list_changed message')

  a.remove()
  assert.equal(seen.length, 2)
  assert.equal(seen[1]!.notification.method, 'notifications/tools/list_changed')

  a.remove()
  assert.equal(seen.length, 2, 'a second remove() changes nothing and says nothing')

  assert.throws(() => mcp.tool({ name: 'bad name', handler: ok }))
  assert.equal(seen.length, 2, 'a rejected registration says nothing')

  off()
  mcp.tool({ name: 'b', handler: ok })
  assert.equal(seen.length, 2, 'no notification after unsubscribing')
})

test('every listener gets the notification', () => {
  const mcp = server()
  let first = 0
  let second = 0
  mcp.onNotification(() => { first++ })
  mcp.onNotification(() => { second++ })
  mcp.tool({ name: 'a', handler: ok })
  assert.deepEqual([first, second], [1, 1])
})
