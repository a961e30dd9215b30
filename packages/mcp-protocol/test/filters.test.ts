import assert from 'node:assert/strict'
import { test } from 'node:test'
import { McpServer, type McpContext } from '../src/index.ts'
import { makeSession } from './helpers.ts'

declare module '../src/index.ts' {
  interface McpItemConfig {
    tier?: 'public' | 'admin'
  }
}

/** A server whose filter shows `admin` items only to the session named `admin`. */
function buildServer (): McpServer {
  const server = new McpServer({ name: 'filters', version: '1.0.0' })
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })
  server.tool({ name: 'open', handler: () => text('open') })
  server.tool({ name: 'secret', config: { tier: 'admin' }, handler: () => text('secret') })
  server.resource({ uri: 'docs://public', name: 'public', read: (uri) => ({ contents: [{ uri, text: 'public' }] }) })
  server.resource({ uri: 'docs://admin', name: 'admin', config: { tier: 'admin' }, read: (uri) => ({ contents: [{ uri, text: 'admin' }] }) })
  server.resourceTemplate({
    uriTemplate: 'vault://{key}',
    name: 'vault',
    config: { tier: 'admin' },
    list: () => [{ uri: 'vault://one', name: 'one' }],
    read: (uri) => ({ contents: [{ uri, text: 'vault' }] })
  })
  server.prompt({ name: 'greet', get: () => ({ messages: [] }) })
  server.prompt({ name: 'audit', config: { tier: 'admin' }, get: () => ({ messages: [] }) })
  server.addFilter(({ config }, ctx: McpContext) => config?.tier !== 'admin' || ctx.session.id === 'admin')
  return server
}

async function call (server: McpServer, sessionId: string, method: string, params?: Record<string, unknown>) {
  const response = await server.handleRequest({ jsonrpc: '2.0', id: 1, method, params }, makeSession({ id: sessionId }))
  assert.ok(response !== undefined)
  return response
}

function result (response: Awaited<ReturnType<typeof call>>): Record<string, unknown> {
  assert.ok('result' in response, JSON.stringify(response))
  return response.result
}

test('a filtered tool is absent from tools/list and unknown when called', async () => {
  const server = buildServer()
  const names = (list: Record<string, unknown>) => (list.tools as Array<{ name: string }>).map((tool) => tool.name)
  assert.deepEqual(names(result(await call(server, 'guest', 'tools/list'))), ['open'])
  assert.deepEqual(names(result(await call(server, 'admin', 'tools/list'))), ['open', 'secret'])
  const refused = await call(server, 'guest', 'tools/call', { name: 'secret' })
  assert.ok('error' in refused)
  assert.equal(refused.error.code, -32602)
  assert.match(refused.error.message, /Unknown tool: secret/)
  assert.deepEqual(result(await call(server, 'admin', 'tools/call', { name: 'secret' })).content, [{ type: 'text', text: 'secret' }])
})

test('filtered resources and templates are neither listed nor readable', async () => {
  const server = buildServer()
  const uris = (list: Record<string, unknown>) => (list.resources as Array<{ uri: string }>).map((resource) => resource.uri)
  assert.deepEqual(uris(result(await call(server, 'guest', 'resources/list'))), ['docs://public'])
  assert.deepEqual(uris(result(await call(server, 'admin', 'resources/list'))), ['docs://public', 'docs://admin', 'vault://one'])
  assert.deepEqual(result(await call(server, 'guest', 'resources/templates/list')).resourceTemplates, [])
  for (const uri of ['docs://admin', 'vault://one']) {
    const refused = await call(server, 'guest', 'resources/read', { uri })
    assert.ok('error' in refused)
    assert.equal(refused.error.code, -32002)
  }
  assert.ok('result' in await call(server, 'admin', 'resources/read', { uri: 'vault://one' }))
})

test('a filtered prompt is neither listed, nor gettable, nor completable', async () => {
  const server = buildServer()
  const names = (list: Record<string, unknown>) => (list.prompts as Array<{ name: string }>).map((prompt) => prompt.name)
  assert.deepEqual(names(result(await call(server, 'guest', 'prompts/list'))), ['greet'])
  const refused = await call(server, 'guest', 'prompts/get', { name: 'audit' })
  assert.ok('error' in refused)
  assert.equal(refused.error.code, -32602)
  const completion = await call(server, 'guest', 'completion/complete', { ref: { type: 'ref/prompt', name: 'audit' }, argument: { name: 'x', value: '' } })
  assert.ok('error' in completion)
  assert.ok('result' in await call(server, 'admin', 'prompts/get', { name: 'audit' }))
})

test('configOf finds the config of a tool, a prompt, and what serves a resource URI', () => {
  const server = buildServer()
  assert.deepEqual(server.configOf('tool', 'secret'), { tier: 'admin' })
  assert.equal(server.configOf('tool', 'open'), undefined)
  assert.deepEqual(server.configOf('prompt', 'audit'), { tier: 'admin' })
  assert.deepEqual(server.configOf('resource', 'docs://admin'), { tier: 'admin' })
  assert.deepEqual(server.configOf('resource', 'vault://anything'), { tier: 'admin' })
  assert.equal(server.configOf('resource', 'nothing://here'), undefined)
})

test('config stays on the server: it is not sent in lists', async () => {
  const server = buildServer()
  const list = result(await call(server, 'admin', 'tools/list'))
  assert.ok((list.tools as object[]).every((tool) => !('config' in tool)))
})
