import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  ListPromptsResultSchema as SdkListPromptsResultSchema,
  ListResourcesResultSchema as SdkListResourcesResultSchema,
  ListResourceTemplatesResultSchema as SdkListResourceTemplatesResultSchema,
  ListToolsResultSchema as SdkListToolsResultSchema
} from '@modelcontextprotocol/sdk/types.js'
import type { McpServer } from '../src/index.ts'
import { assertSdk, call, fail, send, server } from './helpers.ts'

interface SafeParser {
  safeParse (value: unknown): { success: boolean }
}

/** Follows nextCursor to the end; returns the pages' item names. */
async function allPages (mcp: McpServer, method: string, key: string, oracle: SafeParser): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const result = await call(mcp, method, cursor === undefined ? undefined : { cursor })
    assertSdk(oracle, result, `${method} page ${pages.length + 1}`)
    const items = result[key] as Array<{ name: string }>
    pages.push(items.map((item) => item.name))
    const next = result.nextCursor
    assert.ok(next === undefined || (typeof next === 'string' && next.length > 0), 'a cursor is a non-empty string')
    cursor = next as string | undefined
    assert.ok(pages.length < 100, 'the pages end')
  } while (cursor !== undefined)
  return pages
}

function names (count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`)
}

test('tools/list with pageSize 2 pages with nextCursor until the end', async () => {
  const mcp = server({ pageSize: 2 })
  for (const name of names(5, 'tool')) mcp.tool({ name, handler: () => ({ content: [] }) })
  const pages = await allPages(mcp, 'tools/list', 'tools', SdkListToolsResultSchema)
  assert.deepEqual(pages, [['tool0', 'tool1'], ['tool2', 'tool3'], ['tool4']])

  const first = await call(mcp, 'tools/list')
  const second = await call(mcp, 'tools/list', { cursor: first.nextCursor })
  const third = await call(mcp, 'tools/list', { cursor: second.nextCursor })
  assert.notEqual(first.nextCursor, second.nextCursor)
  assert.equal('nextCursor' in third, false, 'the last page has no nextCursor member at all')
  // A cursor can be used again: pages are not consumed.
  assert.deepEqual(await call(mcp, 'tools/list', { cursor: first.nextCursor }), second)
})

test('a list that fills its pages exactly has no cursor after the last page', async () => {
  const mcp = server({ pageSize: 2 })
  for (const name of names(4, 'tool')) mcp.tool({ name, handler: () => ({ content: [] }) })
  assert.deepEqual(await allPages(mcp, 'tools/list', 'tools', SdkListToolsResultSchema), [['tool0', 'tool1'], ['tool2', 'tool3']])
})

test('an empty list is one page without a cursor', async () => {
  const mcp = server({ pageSize: 2 })
  assert.deepEqual(await call(mcp, 'tools/list'), { tools: [] })
  assert.deepEqual(await call(mcp, 'prompts/list'), { prompts: [] })
})

test('the default page size is 100', async () => {
  const mcp = server()
  for (const name of names(101, 't')) mcp.tool({ name, handler: () => ({ content: [] }) })
  const pages = await allPages(mcp, 'tools/list', 'tools', SdkListToolsResultSchema)
  assert.deepEqual(pages.map((page) => page.length), [100, 1])
  assert.deepEqual(pages.flat(), names(101, 't'))
})

test('prompts/list pages the same way', async () => {
  const mcp = server({ pageSize: 2 })
  for (const name of names(3, 'prompt')) mcp.prompt({ name, get: () => ({ messages: [] }) })
  assert.deepEqual(await allPages(mcp, 'prompts/list', 'prompts', SdkListPromptsResultSchema), [['prompt0', 'prompt1'], ['prompt2']])
})

test('resources/list pages over static resources and the templates\' listings together', async () => {
  const mcp = server({ pageSize: 2 })
  const read = (uri: string) => ({ contents: [{ uri, text: '' }] })
  mcp.resource({ uri: 'mem://s0', name: 's0', read })
  mcp.resourceTemplate({
    uriTemplate: 'mem://t/{id}',
    name: 'template',
    list: () => [{ uri: 'mem://t/0', name: 't0' }, { uri: 'mem://t/1', name: 't1' }],
    read
  })
  mcp.resource({ uri: 'mem://s1', name: 's1', read })
  const pages = await allPages(mcp, 'resources/list', 'resources', SdkListResourcesResultSchema)
  assert.deepEqual(pages, [['s0', 's1'], ['t0', 't1']])
})

test('resources/templates/list pages the same way', async () => {
  const mcp = server({ pageSize: 2 })
  const read = (uri: string) => ({ contents: [{ uri, text: '' }] })
  for (const name of names(3, 'tpl')) mcp.resourceTemplate({ uriTemplate: `mem://${name}/{id}`, name, read })
  const pages = await allPages(mcp, 'resources/templates/list', 'resourceTemplates', SdkListResourceTemplatesResultSchema)
  assert.deepEqual(pages, [['tpl0', 'tpl1'], ['tpl2']])
})

test('a cursor that does not decode to an offset is -32602', async () => {
  const mcp = server({ pageSize: 2 })
  for (const name of names(5, 'tool')) mcp.tool({ name, handler: () => ({ content: [] }) })
  const forged = (text: string) => Buffer.from(text).toString('base64url')
  for (const cursor of ['nope', 'not a cursor', forged('-2'), forged('1.5'), forged('two'), forged('Infinity')]) {
    const error = await fail(mcp, 'tools/list', { cursor })
    assert.equal(error.code, -32602, `cursor ${JSON.stringify(cursor)}`)
    assert.match(error.message, /cursor/i)
  }
  assert.equal((await fail(mcp, 'prompts/list', { cursor: 'nope' })).code, -32602)
  assert.equal((await fail(mcp, 'resources/list', { cursor: 'nope' })).code, -32602)
  assert.equal((await fail(mcp, 'resources/templates/list', { cursor: 'nope' })).code, -32602)
})

test('a cursor this server never issued is -32602, not silently the first page', async () => {
  const mcp = server({ pageSize: 2 })
  for (const name of names(5, 'tool')) mcp.tool({ name, handler: () => ({ content: [] }) })
  // '' and '!!!' decode to no bytes at all, which Number() reads as 0.
  for (const cursor of ['', '!!!', ' ']) {
    const response = await send(mcp, 'tools/list', { cursor })
    assert.ok(response !== undefined && 'error' in response, `cursor ${JSON.stringify(cursor)} answered ${JSON.stringify(response)}`)
    assert.equal(response.error.code, -32602)
  }
})
