import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { CompleteResultSchema as SdkCompleteResultSchema } from '@modelcontextprotocol/sdk/types.js'
import type { GetPromptResult, McpContext, ReadResourceResult } from '../src/index.ts'
import { assertSdk, call, fail, makeSession, server } from './helpers.ts'

const LANGUAGES = ['python', 'pytorch', 'pyside', 'rust', 'ruby']

function prompt (): GetPromptResult {
  return { messages: [] }
}

function read (uri: string): ReadResourceResult {
  return { contents: [{ uri, text: '' }] }
}

function promptRef (name: string, argument: string, value: string, context?: Record<string, string>): Record<string, unknown> {
  const params: Record<string, unknown> = { ref: { type: 'ref/prompt', name }, argument: { name: argument, value } }
  if (context !== undefined) params.context = { arguments: context }
  return params
}

function templateRef (uri: string, argument: string, value: string, context?: Record<string, string>): Record<string, unknown> {
  const params: Record<string, unknown> = { ref: { type: 'ref/resource', uri }, argument: { name: argument, value } }
  if (context !== undefined) params.context = { arguments: context }
  return params
}

test('completion/complete asks the prompt argument\'s completer', async () => {
  const mcp = server()
  const seen: Array<{ value: string, resolved: Record<string, string>, ctx: McpContext }> = []
  mcp.prompt({
    name: 'code_review',
    arguments: Type.Object({ language: Type.String(), framework: Type.Optional(Type.String()) }),
    complete: {
      language: (value, resolved, ctx) => {
        seen.push({ value, resolved, ctx })
        return LANGUAGES.filter((language) => language.startsWith(value))
      }
    },
    get: prompt
  })
  const session = makeSession()
  const result = await call(mcp, 'completion/complete', promptRef('code_review', 'language', 'py'), session)
  assert.deepEqual(result, { completion: { values: ['python', 'pytorch', 'pyside'] } })
  assertSdk(SdkCompleteResultSchema, result, 'completion result')
  assert.deepEqual(seen[0]!.resolved, {})
  assert.equal(seen[0]!.ctx.session, session)
  assert.equal(seen[0]!.ctx.method, 'completion/complete')

  await call(mcp, 'completion/complete', promptRef('code_review', 'language', 'r', { framework: 'flask' }))
  assert.equal(seen[1]!.value, 'r')
  assert.deepEqual(seen[1]!.resolved, { framework: 'flask' }, 'the context arguments reach the completer')
})

test('completion/complete asks the template variable\'s completer (async)', async () => {
  const mcp = server()
  const seen: Array<{ value: string, resolved: Record<string, string> }> = []
  mcp.resourceTemplate({
    uriTemplate: 'github://repos/{owner}/{repo}',
    name: 'repo',
    complete: {
      repo: async (value, resolved) => {
        seen.push({ value, resolved })
        return ['fastify', 'fastify-cli', 'light-my-request'].filter((repo) => repo.startsWith(value))
      }
    },
    read
  })
  const result = await call(mcp, 'completion/complete', templateRef('github://repos/{owner}/{repo}', 'repo', 'fast', { owner: 'fastify' }))
  assert.deepEqual(result, { completion: { values: ['fastify', 'fastify-cli'] } })
  assertSdk(SdkCompleteResultSchema, result, 'completion result')
  assert.deepEqual(seen, [{ value: 'fast', resolved: { owner: 'fastify' } }])
})

test('more than 100 values are capped at 100, with total and hasMore', async () => {
  const mcp = server()
  const many = Array.from({ length: 250 }, (_, i) => `item-${i}`)
  mcp.prompt({
    name: 'pick',
    arguments: Type.Object({ item: Type.String() }),
    complete: { item: () => many },
    get: prompt
  })
  const result = await call(mcp, 'completion/complete', promptRef('pick', 'item', ''))
  const completion = result.completion as { values: string[], total?: number, hasMore?: boolean }
  assert.equal(completion.values.length, 100)
  assert.deepEqual(completion.values, many.slice(0, 100))
  assert.equal(completion.total, 250)
  assert.equal(completion.hasMore, true)
  assertSdk(SdkCompleteResultSchema, result, 'capped completion')
})

test('exactly 100 values are sent whole, without hasMore', async () => {
  const mcp = server()
  const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`)
  mcp.resourceTemplate({ uriTemplate: 'mem://{v}', name: 'v', complete: { v: () => hundred }, read })
  const result = await call(mcp, 'completion/complete', templateRef('mem://{v}', 'v', ''))
  assert.deepEqual(result, { completion: { values: hundred } })
})

test('an unknown prompt or template in the reference is -32602', async () => {
  const mcp = server()
  mcp.prompt({ name: 'known', get: prompt })
  mcp.resourceTemplate({ uriTemplate: 'mem://{id}', name: 'known', read })
  mcp.resource({ uri: 'mem://static', name: 'static', read })

  const unknownPrompt = await fail(mcp, 'completion/complete', promptRef('unknown', 'x', ''))
  assert.equal(unknownPrompt.code, -32602)
  assert.match(unknownPrompt.message, /unknown/)

  const unknownTemplate = await fail(mcp, 'completion/complete', templateRef('mem://{other}', 'other', ''))
  assert.equal(unknownTemplate.code, -32602)
  assert.match(unknownTemplate.message, /mem:\/\/\{other\}/)

  // A concrete uri is not a template, even when it matches one.
  assert.equal((await fail(mcp, 'completion/complete', templateRef('mem://42', 'id', ''))).code, -32602)
})

test('an argument or variable without a completer completes to no values', async () => {
  const mcp = server()
  mcp.prompt({
    name: 'p',
    arguments: Type.Object({ a: Type.String(), b: Type.String() }),
    complete: { a: () => ['alpha'] },
    get: prompt
  })
  mcp.prompt({ name: 'q', arguments: Type.Object({ a: Type.String() }), get: prompt })
  mcp.resourceTemplate({ uriTemplate: 'mem://{x}/{y}', name: 't', complete: { x: () => ['ex'] }, read })
  mcp.resourceTemplate({ uriTemplate: 'mem://{z}', name: 'u', read })

  for (const params of [
    promptRef('p', 'b', ''),
    promptRef('p', 'not_an_argument', ''),
    promptRef('q', 'a', 'x'),
    templateRef('mem://{x}/{y}', 'y', ''),
    templateRef('mem://{z}', 'z', '')
  ]) {
    const result = await call(mcp, 'completion/complete', params)
    assert.deepEqual(result, { completion: { values: [] } }, JSON.stringify(params))
    assertSdk(SdkCompleteResultSchema, result, 'empty completion')
  }
  // The completers that exist do answer, so the empty answers above are not a default for everything.
  assert.deepEqual(await call(mcp, 'completion/complete', promptRef('p', 'a', '')), { completion: { values: ['alpha'] } })
  assert.deepEqual(await call(mcp, 'completion/complete', templateRef('mem://{x}/{y}', 'x', '')), { completion: { values: ['ex'] } })
})

test('a malformed reference is -32602', async () => {
  const mcp = server()
  mcp.prompt({ name: 'p', get: prompt })
  for (const params of [
    { ref: { type: 'ref/unknown', name: 'p' }, argument: { name: 'a', value: '' } },
    { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a' } },
    { ref: { type: 'ref/prompt', name: 'p' } }
  ]) {
    assert.equal((await fail(mcp, 'completion/complete', params)).code, -32602, JSON.stringify(params))
  }
})
