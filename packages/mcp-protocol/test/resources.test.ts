import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  JSONRPCMessageSchema as SdkJSONRPCMessageSchema,
  ListResourcesResultSchema as SdkListResourcesResultSchema,
  ListResourceTemplatesResultSchema as SdkListResourceTemplatesResultSchema,
  ReadResourceResultSchema as SdkReadResourceResultSchema,
  ResourceListChangedNotificationSchema as SdkResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema as SdkResourceUpdatedNotificationSchema
} from '@modelcontextprotocol/sdk/types.js'
import type { JSONRPCNotification, McpContext, ReadResourceResult } from '../src/index.ts'
import { assertSdk, call, fail, makeSession, send, server } from './helpers.ts'

function textContents (uri: string, text: string): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'text/plain', text }] }
}

test('resources/read reads a static resource, handing its handler the uri and the context', async () => {
  const mcp = server()
  let seen: { uri: string, ctx: McpContext } | undefined
  mcp.resource({
    uri: 'file:///README.md',
    name: 'readme',
    read: (uri, ctx) => { seen = { uri, ctx }; return textContents(uri, '# Hello') }
  })
  const session = makeSession()
  const result = await call(mcp, 'resources/read', { uri: 'file:///README.md' }, session)
  assert.deepEqual(result, { contents: [{ uri: 'file:///README.md', mimeType: 'text/plain', text: '# Hello' }] })
  assertSdk(SdkReadResourceResultSchema, result, 'resources/read result')
  assert.equal(seen!.uri, 'file:///README.md')
  assert.equal(seen!.ctx.session, session)
  assert.equal(seen!.ctx.method, 'resources/read')
})

test('resources/read of a blob resource', async () => {
  const mcp = server()
  mcp.resource({
    uri: 'mem://logo.png',
    name: 'logo',
    mimeType: 'image/png',
    read: async (uri) => ({ contents: [{ uri, mimeType: 'image/png', blob: Buffer.from('png').toString('base64') }] })
  })
  const result = await call(mcp, 'resources/read', { uri: 'mem://logo.png' })
  assertSdk(SdkReadResourceResultSchema, result, 'blob result')
  assert.deepEqual(result, { contents: [{ uri: 'mem://logo.png', mimeType: 'image/png', blob: 'cG5n' }] })
})

test('resources/read of a template extracts the variables', async () => {
  const mcp = server()
  const seen: Array<{ uri: string, variables: Record<string, string> }> = []
  mcp.resourceTemplate({
    uriTemplate: 'notes://{folder}/{id}',
    name: 'note',
    read: (uri, variables) => { seen.push({ uri, variables }); return textContents(uri, `${variables.folder}:${variables.id}`) }
  })
  const result = await call(mcp, 'resources/read', { uri: 'notes://work/42' })
  assert.deepEqual(result, textContents('notes://work/42', 'work:42'))
  assertSdk(SdkReadResourceResultSchema, result, 'template read result')
  assert.deepEqual(seen, [{ uri: 'notes://work/42', variables: { folder: 'work', id: '42' } }])

  await call(mcp, 'resources/read', { uri: 'notes://my%20stuff/a%2Fb' })
  assert.deepEqual(seen[1]!.variables, { folder: 'my stuff', id: 'a/b' }, 'variables are percent-decoded')
})

test('a static resource wins over a template, and the first matching template wins', async () => {
  const mcp = server()
  mcp.resourceTemplate({ uriTemplate: 'notes://{folder}/{id}', name: 'note', read: (uri) => textContents(uri, 'template 1') })
  mcp.resourceTemplate({ uriTemplate: 'notes://{path}', name: 'any', read: (uri) => textContents(uri, 'template 2') })
  mcp.resourceTemplate({ uriTemplate: 'notes://{+path}', name: 'deep', read: (uri) => textContents(uri, 'template 3') })
  mcp.resource({ uri: 'notes://inbox/pinned', name: 'pinned', read: (uri) => textContents(uri, 'static') })

  const read = async (uri: string) => ((await call(mcp, 'resources/read', { uri })).contents as Array<{ text: string }>)[0]!.text
  assert.equal(await read('notes://inbox/pinned'), 'static')
  assert.equal(await read('notes://inbox/7'), 'template 1')
  assert.equal(await read('notes://inbox'), 'template 2')
  assert.equal(await read('notes://a/b/c'), 'template 3')
})

test('an unknown resource is -32002 with the uri in data', async () => {
  const mcp = server()
  mcp.resource({ uri: 'mem://a', name: 'a', read: (uri) => textContents(uri, 'a') })
  mcp.resourceTemplate({ uriTemplate: 'notes://{id}', name: 'note', read: (uri) => textContents(uri, 'n') })
  const response = await send(mcp, 'resources/read', { uri: 'mem://b' })
  assert.ok(response !== undefined && 'error' in response)
  assert.equal(response.error.code, -32002)
  assert.deepEqual(response.error.data, { uri: 'mem://b' })
  assertSdk(SdkJSONRPCMessageSchema, response, 'not found response')

  const other = await fail(mcp, 'resources/read', { uri: 'notes://a/b' })
  assert.equal(other.code, -32002)
  assert.deepEqual(other.data, { uri: 'notes://a/b' })
})

test('resources/list shows static resources and what templates list', async () => {
  const mcp = server()
  mcp.resource({
    uri: 'file:///README.md',
    name: 'readme',
    title: 'Read me',
    description: 'The project readme',
    mimeType: 'text/markdown',
    size: 1024,
    annotations: { audience: ['user'], priority: 0.5 },
    read: (uri) => textContents(uri, '')
  })
  let listCtx: McpContext | undefined
  mcp.resourceTemplate({
    uriTemplate: 'notes://{id}',
    name: 'note',
    list: async (ctx) => {
      listCtx = ctx
      return [{ uri: 'notes://1', name: 'First note' }, { uri: 'notes://2', name: 'Second note', mimeType: 'text/plain' }]
    },
    read: (uri) => textContents(uri, '')
  })
  mcp.resourceTemplate({ uriTemplate: 'users://{id}', name: 'user', read: (uri) => textContents(uri, '') })
  mcp.resource({ uri: 'mem://b', name: 'b', read: (uri) => textContents(uri, '') })

  const session = makeSession()
  const result = await call(mcp, 'resources/list', undefined, session)
  assertSdk(SdkListResourcesResultSchema, result, 'resources/list result')
  assert.deepEqual(result, {
    resources: [
      {
        uri: 'file:///README.md',
        name: 'readme',
        title: 'Read me',
        description: 'The project readme',
        mimeType: 'text/markdown',
        size: 1024,
        annotations: { audience: ['user'], priority: 0.5 }
      },
      { uri: 'mem://b', name: 'b' },
      { uri: 'notes://1', name: 'First note' },
      { uri: 'notes://2', name: 'Second note', mimeType: 'text/plain' }
    ]
  })
  assert.equal(listCtx!.session, session)
  assert.equal(listCtx!.method, 'resources/list')
})

test('a template\'s list() is asked again on every resources/list', async () => {
  const mcp = server()
  let count = 0
  mcp.resourceTemplate({
    uriTemplate: 'counter://{n}',
    name: 'counter',
    list: () => { count++; return Array.from({ length: count }, (_, i) => ({ uri: `counter://${i}`, name: `n${i}` })) },
    read: (uri) => textContents(uri, '')
  })
  assert.equal(((await call(mcp, 'resources/list')).resources as unknown[]).length, 1)
  assert.equal(((await call(mcp, 'resources/list')).resources as unknown[]).length, 2)
})

test('resources/templates/list shows the templates with their metadata', async () => {
  const mcp = server()
  mcp.resourceTemplate({
    uriTemplate: 'notes://{folder}/{id}',
    name: 'note',
    title: 'Note',
    description: 'A note in a folder',
    mimeType: 'text/markdown',
    read: (uri) => textContents(uri, ''),
    list: () => [],
    complete: { folder: () => ['work'] }
  })
  mcp.resourceTemplate({ uriTemplate: 'users://{id}', name: 'user', read: (uri) => textContents(uri, '') })
  mcp.resource({ uri: 'mem://a', name: 'a', read: (uri) => textContents(uri, '') })
  const result = await call(mcp, 'resources/templates/list')
  assertSdk(SdkListResourceTemplatesResultSchema, result, 'templates/list result')
  assert.deepEqual(result, {
    resourceTemplates: [
      { uriTemplate: 'notes://{folder}/{id}', name: 'note', title: 'Note', description: 'A note in a folder', mimeType: 'text/markdown' },
      { uriTemplate: 'users://{id}', name: 'user' }
    ]
  })
})

test('resources/subscribe and unsubscribe reach the session; a URI nothing serves is not subscribed (-32002)', async () => {
  const mcp = server()
  mcp.resource({ uri: 'mem://a', name: 'a', read: (uri) => textContents(uri, '') })
  const session = makeSession()
  assert.deepEqual(await fail(mcp, 'resources/subscribe', { uri: 'mem://nowhere' }, session), { code: -32002, message: 'Resource not found', data: { uri: 'mem://nowhere' } })
  assert.deepEqual(session.subscribed, [])
  assert.deepEqual(await call(mcp, 'resources/subscribe', { uri: 'mem://a' }, session), {})
  assert.deepEqual(session.subscribed, ['mem://a'])
  assert.deepEqual(session.unsubscribed, [])
  assert.deepEqual(await call(mcp, 'resources/unsubscribe', { uri: 'mem://a' }, session), {})
  assert.deepEqual(session.unsubscribed, ['mem://a'])
})

test('resources/subscribe waits for an asynchronous session, and reports its failure', async () => {
  const mcp = server()
  mcp.resourceTemplate({ uriTemplate: 'mem://{id}', name: 'any', read: (uri) => textContents(uri, '') })
  const order: string[] = []
  const session = {
    ...makeSession(),
    async subscribe (uri: string) {
      await new Promise((resolve) => setImmediate(resolve))
      if (uri === 'mem://bad') throw new Error('store down')
      order.push(`stored ${uri}`)
    }
  }
  const result = await call(mcp, 'resources/subscribe', { uri: 'mem://a' }, session)
  order.push('answered')
  assert.deepEqual(result, {})
  assert.deepEqual(order, ['stored mem://a', 'answered'])
  assert.equal((await fail(mcp, 'resources/subscribe', { uri: 'mem://bad' }, session)).code, -32603)
})

test('resourceUpdated(uri) emits notifications/resources/updated, narrowed to the uri', () => {
  const mcp = server()
  const seen: Array<[JSONRPCNotification, string | undefined]> = []
  mcp.onNotification((notification, uri) => { seen.push([notification, uri]) })
  mcp.resourceUpdated('file:///project/src/main.rs')
  assert.deepEqual(seen, [[
    { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///project/src/main.rs' } },
    'file:///project/src/main.rs'
  ]])
  assertSdk(SdkResourceUpdatedNotificationSchema, seen[0]![0], 'resources/updated')
  assertSdk(SdkJSONRPCMessageSchema, seen[0]![0], 'resources/updated message')
})

test('adding and removing resources and templates emits notifications/resources/list_changed', async () => {
  const mcp = server()
  const seen: Array<[JSONRPCNotification, string | undefined]> = []
  mcp.onNotification((notification, uri) => { seen.push([notification, uri]) })
  const resource = mcp.resource({ uri: 'mem://a', name: 'a', read: (uri) => textContents(uri, '') })
  const template = mcp.resourceTemplate({ uriTemplate: 'mem://t/{id}', name: 't', read: (uri) => textContents(uri, '') })
  resource.remove()
  template.remove()
  assert.equal(seen.length, 4)
  for (const [notification, uri] of seen) {
    assert.deepEqual(notification, { jsonrpc: '2.0', method: 'notifications/resources/list_changed' })
    assert.equal(uri, undefined)
    assertSdk(SdkResourceListChangedNotificationSchema, notification, 'resources/list_changed')
  }
  assert.deepEqual(await call(mcp, 'resources/list'), { resources: [] })
  assert.deepEqual(await call(mcp, 'resources/templates/list'), { resourceTemplates: [] })
  assert.equal((await fail(mcp, 'resources/read', { uri: 'mem://t/1' })).code, -32002)
})

test('duplicate resource uris and templates throw FST_MCP_PROTOCOL_DUPLICATE', () => {
  const mcp = server()
  const read = (uri: string) => textContents(uri, '')
  mcp.resource({ uri: 'mem://a', name: 'a', read })
  assert.throws(() => mcp.resource({ uri: 'mem://a', name: 'other', read }), { code: 'FST_MCP_PROTOCOL_DUPLICATE' })
  mcp.resourceTemplate({ uriTemplate: 'mem://{id}', name: 't', read })
  assert.throws(() => mcp.resourceTemplate({ uriTemplate: 'mem://{id}', name: 't2', read }), { code: 'FST_MCP_PROTOCOL_DUPLICATE' })
})

test('an invalid uri template throws at registration', () => {
  const mcp = server()
  assert.throws(() => mcp.resourceTemplate({ uriTemplate: 'mem://{bad name}', name: 't', read: (uri) => textContents(uri, '') }))
  assert.equal(mcp.capabilities().resources, undefined)
})
