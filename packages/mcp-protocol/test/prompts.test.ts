import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import {
  GetPromptResultSchema as SdkGetPromptResultSchema,
  ListPromptsResultSchema as SdkListPromptsResultSchema,
  PromptListChangedNotificationSchema as SdkPromptListChangedNotificationSchema
} from '@modelcontextprotocol/sdk/types.js'
import type { GetPromptResult, JSONRPCNotification, McpContext } from '../src/index.ts'
import { assertSdk, call, fail, makeSession, server, symbolPaths } from './helpers.ts'

const reviewArguments = Type.Object({
  code: Type.String({ description: 'The code to review' }),
  language: Type.Optional(Type.String({ title: 'Language', description: 'Programming language' })),
  style: Type.Optional(Type.String())
})

function userMessage (text: string): GetPromptResult {
  return { messages: [{ role: 'user', content: { type: 'text', text } }] }
}

test('prompts/list derives the arguments from the TypeBox object, with required flags', async () => {
  const mcp = server()
  mcp.prompt({
    name: 'code_review',
    title: 'Request Code Review',
    description: 'Asks the model to review code',
    arguments: reviewArguments,
    icons: [{ src: 'https://example.com/review.png' }],
    get: (args) => userMessage(args.code)
  })
  mcp.prompt({ name: 'hello', get: () => userMessage('hello') })
  const result = await call(mcp, 'prompts/list')
  assertSdk(SdkListPromptsResultSchema, result, 'prompts/list result')
  assert.deepEqual(result, {
    prompts: [
      {
        name: 'code_review',
        title: 'Request Code Review',
        description: 'Asks the model to review code',
        arguments: [
          { name: 'code', description: 'The code to review', required: true },
          { name: 'language', title: 'Language', description: 'Programming language', required: false },
          { name: 'style', required: false }
        ],
        icons: [{ src: 'https://example.com/review.png' }]
      },
      { name: 'hello' }
    ]
  })
  assert.deepEqual(symbolPaths(result), [])
})

test('prompts/get hands the arguments and the context to the prompt', async () => {
  const mcp = server()
  let seen: { args: unknown, ctx: McpContext } | undefined
  mcp.prompt({
    name: 'code_review',
    arguments: reviewArguments,
    get: async (args, ctx) => {
      seen = { args, ctx }
      return { description: 'Code review', ...userMessage(`Review this ${args.language ?? 'code'}:\n${args.code}`) }
    }
  })
  const session = makeSession()
  const result = await call(mcp, 'prompts/get', { name: 'code_review', arguments: { code: 'x = 1', language: 'python' } }, session)
  assertSdk(SdkGetPromptResultSchema, result, 'prompts/get result')
  assert.deepEqual(result, {
    description: 'Code review',
    messages: [{ role: 'user', content: { type: 'text', text: 'Review this python:\nx = 1' } }]
  })
  assert.deepEqual(seen!.args, { code: 'x = 1', language: 'python' })
  assert.equal(seen!.ctx.session, session)
  assert.equal(seen!.ctx.method, 'prompts/get')
})

test('prompts/get of a prompt without arguments', async () => {
  const mcp = server()
  let received: unknown
  mcp.prompt({ name: 'hello', get: (args) => { received = args; return userMessage('hello') } })
  assert.deepEqual(await call(mcp, 'prompts/get', { name: 'hello' }), userMessage('hello'))
  assert.deepEqual(received, {})
})

test('a missing required argument is -32602 naming it, and the prompt does not run', async () => {
  const mcp = server()
  let ran = false
  mcp.prompt({ name: 'code_review', arguments: reviewArguments, get: () => { ran = true; return userMessage('') } })
  for (const params of [{ name: 'code_review' }, { name: 'code_review', arguments: { language: 'go' } }]) {
    const error = await fail(mcp, 'prompts/get', params)
    assert.equal(error.code, -32602)
    assert.match(error.message, /\/code/)
    assert.match(error.message, /code_review/)
  }
  assert.equal(ran, false)
})

test('a non-string argument is -32602 (the params schema allows strings only)', async () => {
  const mcp = server()
  mcp.prompt({ name: 'code_review', arguments: reviewArguments, get: () => userMessage('') })
  const error = await fail(mcp, 'prompts/get', { name: 'code_review', arguments: { code: 1 } })
  assert.equal(error.code, -32602)
  assert.match(error.message, /\/arguments\/code/)
})

test('an unknown prompt is -32602', async () => {
  const mcp = server()
  mcp.prompt({ name: 'hello', get: () => userMessage('hello') })
  const error = await fail(mcp, 'prompts/get', { name: 'goodbye' })
  assert.equal(error.code, -32602)
  assert.match(error.message, /goodbye/)
})

test('prompts: duplicates throw, add and remove emit notifications/prompts/list_changed', async () => {
  const mcp = server()
  const seen: JSONRPCNotification[] = []
  mcp.onNotification((notification) => { seen.push(notification) })
  const registration = mcp.prompt({ name: 'hello', get: () => userMessage('hello') })
  assert.throws(() => mcp.prompt({ name: 'hello', get: () => userMessage('again') }), { code: 'FST_MCP_PROTOCOL_DUPLICATE' })
  registration.remove()
  assert.deepEqual(seen, [
    { jsonrpc: '2.0', method: 'notifications/prompts/list_changed' },
    { jsonrpc: '2.0', method: 'notifications/prompts/list_changed' }
  ])
  assertSdk(SdkPromptListChangedNotificationSchema, seen[0], 'prompts/list_changed')
  assert.deepEqual(await call(mcp, 'prompts/list'), { prompts: [] })
  assert.equal((await fail(mcp, 'prompts/get', { name: 'hello' })).code, -32602)
})
