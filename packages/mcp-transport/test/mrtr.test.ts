import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { ElicitRequestParams, McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { assertRpcError, buildApp, modernPost, modernRequest, type BuildOptions } from './helpers.ts'

// Multi Round-Trip Requests (2026-07-28): a handler asks with ctx.elicit()/sample()/listRoots(),
// the request is answered input_required, the client retries with the answers; the handler runs
// again and each question it already has the answer to returns at once.

const ELICIT = { elicitation: {} }
const ALL = { elicitation: {}, sampling: {}, roots: {} }

function question (message: string, property: string): ElicitRequestParams {
  return { message, requestedSchema: { type: 'object', properties: { [property]: { type: 'string' } } } }
}

interface Fixture {
  app: FastifyInstance
  /** How many times the `greet` handler started. */
  runs: () => number
}

async function setup (t: TestContext, options: BuildOptions = {}): Promise<Fixture> {
  let runs = 0
  const app = await buildApp(t, {
    before: async (app) => {
      app.addHook('onRequest', async (request) => {
        const who = request.headers['x-principal']
        if (typeof who === 'string') request.mcpPrincipal = who
      })
    },
    ...options,
    declare: (mcp: McpServer) => {
      mcp.tool({
        name: 'greet',
        description: 'Asks a name, then a colour',
        inputSchema: Type.Object({ salutation: Type.Optional(Type.String()) }),
        handler: async ({ salutation = 'Hello' }, ctx) => {
          runs++
          const name = await ctx.elicit(question('Your name?', 'name'), { key: 'user_name' })
          const colour = await ctx.elicit(question(`Favourite colour, ${String(name.content?.name)}?`, 'colour'))
          return { content: [{ type: 'text', text: `${salutation}, ${String(name.content?.name)} (${String(colour.content?.colour)})` }] }
        }
      })
      mcp.tool({
        name: 'everything',
        description: 'Asks three things at once',
        handler: async (_args, ctx) => {
          const [name, sampled, roots] = await Promise.all([
            ctx.elicit(question('Name?', 'name'), { key: 'name' }),
            ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'Hi?' } }], maxTokens: 10 }, { key: 'greeting' }),
            ctx.listRoots({ key: 'roots' })
          ])
          const text = sampled.content as { text: string }
          return { content: [{ type: 'text', text: `${String(name.content?.name)} ${text.text} ${roots.roots.length}` }] }
        }
      })
      mcp.tool({
        name: 'stubborn',
        description: 'Catches everything, asks anyway',
        handler: async (_args, ctx) => {
          try {
            await ctx.elicit(question('Sure?', 'ok'), { key: 'sure' })
          } catch {
            return { content: [{ type: 'text', text: 'gave up' }] }
          }
          return { content: [{ type: 'text', text: 'asked' }] }
        }
      })
      mcp.prompt({
        name: 'context',
        description: 'Asks for context',
        get: async (_args, ctx) => {
          const answer = await ctx.elicit(question('Context?', 'context'), { key: 'user_context' })
          return { messages: [{ role: 'user', content: { type: 'text', text: `Context: ${String(answer.content?.context)}` } }] }
        }
      })
      mcp.resource({
        name: 'secret',
        uri: 'notes://secret',
        read: async (uri, ctx) => {
          const answer = await ctx.elicit(question('Password?', 'password'), { key: 'password' })
          return { contents: [{ uri, text: answer.content?.password === 'open' ? 'the secret' : 'nope' }] }
        }
      })
      mcp.prompt({
        name: 'args',
        description: 'Completes by asking, which 2026-07-28 forbids',
        arguments: Type.Object({ topic: Type.String() }),
        complete: { topic: async (_value, _resolved, ctx) => { await ctx.elicit(question('?', 'x')); return [] } },
        get: () => ({ messages: [] })
      })
    }
  })
  return { app, runs: () => runs }
}

function resultOf (response: { statusCode: number, body: string }): Record<string, any> {
  assert.equal(response.statusCode, 200, response.body)
  const body = JSON.parse(response.body)
  assert.ok('result' in body, response.body)
  return body.result
}

const accept = (content: Record<string, unknown>): object => ({ action: 'accept', content })

test('a handler that asks twice: three rounds, a new sealed state each, the handler run again each time', async (t) => {
  const { app, runs } = await setup(t)
  const call = (id: number, extra: object = {}): ReturnType<typeof modernRequest> =>
    modernRequest(id, 'tools/call', { name: 'greet', arguments: { salutation: 'Hi' }, ...extra }, ELICIT)
  const first = resultOf(await modernPost(app, call(1)))
  assert.equal(first.resultType, 'input_required')
  assert.deepEqual(first.inputRequests, { user_name: { method: 'elicitation/create', params: question('Your name?', 'name') } })
  assert.equal(typeof first.requestState, 'string')
  assert.equal('ttlMs' in first, false, 'no caching hints on input_required')

  const second = resultOf(await modernPost(app, call(2, { inputResponses: { user_name: accept({ name: 'Ada' }) }, requestState: first.requestState })))
  assert.equal(second.resultType, 'input_required')
  assert.deepEqual(Object.keys(second.inputRequests), ['elicitation-2'])
  assert.equal(second.inputRequests['elicitation-2'].params.message, 'Favourite colour, Ada?')
  assert.notEqual(second.requestState, first.requestState)

  // Only this round's answer is sent again: the first one travels in the state.
  const third = resultOf(await modernPost(app, call(3, { inputResponses: { 'elicitation-2': accept({ colour: 'blue' }) }, requestState: second.requestState })))
  assert.deepEqual(third.content, [{ type: 'text', text: 'Hi, Ada (blue)' }])
  assert.equal(third.resultType, 'complete')
  assert.equal(runs(), 3)
})

test('several questions asked together go out in one input_required result, one retry answers them all', async (t) => {
  const { app } = await setup(t)
  const first = resultOf(await modernPost(app, modernRequest(1, 'tools/call', { name: 'everything' }, ALL)))
  assert.deepEqual(Object.keys(first.inputRequests).sort(), ['greeting', 'name', 'roots'])
  assert.deepEqual(first.inputRequests.roots, { method: 'roots/list' })
  assert.equal(first.inputRequests.greeting.method, 'sampling/createMessage')
  const answers = {
    name: accept({ name: 'Ada' }),
    greeting: { role: 'assistant', content: { type: 'text', text: 'Hello!' }, model: 'm' },
    roots: { roots: [{ uri: 'file:///a' }, { uri: 'file:///b' }] }
  }
  const done = resultOf(await modernPost(app, modernRequest(2, 'tools/call', { name: 'everything', inputResponses: answers, requestState: first.requestState }, ALL)))
  assert.deepEqual(done.content, [{ type: 'text', text: 'Ada Hello! 2' }])
})

test('prompts/get and resources/read ask the same way; a handler that swallows the question still asks', async (t) => {
  const { app } = await setup(t)
  const prompt = resultOf(await modernPost(app, modernRequest(1, 'prompts/get', { name: 'context' }, ELICIT)))
  assert.deepEqual(Object.keys(prompt.inputRequests), ['user_context'])
  const promptDone = resultOf(await modernPost(app, modernRequest(2, 'prompts/get', { name: 'context', inputResponses: { user_context: accept({ context: 'tests' }) }, requestState: prompt.requestState }, ELICIT)))
  assert.deepEqual(promptDone.messages, [{ role: 'user', content: { type: 'text', text: 'Context: tests' } }])
  const read = resultOf(await modernPost(app, modernRequest(3, 'resources/read', { uri: 'notes://secret' }, ELICIT)))
  assert.equal(read.resultType, 'input_required')
  const readDone = resultOf(await modernPost(app, modernRequest(4, 'resources/read', { uri: 'notes://secret', inputResponses: { password: accept({ password: 'open' }) }, requestState: read.requestState }, ELICIT)))
  assert.deepEqual(readDone.contents, [{ uri: 'notes://secret', text: 'the secret' }])
  assert.deepEqual([readDone.ttlMs, readDone.cacheScope], [0, 'private'], 'the result of a retried request is not to be reused')
  const stubborn = resultOf(await modernPost(app, modernRequest(5, 'tools/call', { name: 'stubborn' }, ELICIT)))
  assert.deepEqual(Object.keys(stubborn.inputRequests), ['sure'])
})

test('answers without a state, or under keys nobody asked, are taken or ignored: the question is asked again', async (t) => {
  const { app } = await setup(t)
  // A first-round answer needs no state: it answers the question asked under its key.
  const direct = resultOf(await modernPost(app, modernRequest(1, 'tools/call', { name: 'greet', inputResponses: { user_name: accept({ name: 'Bo' }), extra: { foo: 1 } } }, ELICIT)))
  assert.deepEqual(Object.keys(direct.inputRequests), ['elicitation-2'])
  const wrongKey = resultOf(await modernPost(app, modernRequest(2, 'tools/call', { name: 'greet', inputResponses: { wrong_key: accept({ name: 'x' }) } }, ELICIT)))
  assert.deepEqual(Object.keys(wrongKey.inputRequests), ['user_name'])
})

test('a state that was tampered with, expired, or sealed for another principal or request is -32602 and nothing runs', async (t) => {
  const { app, runs } = await setup(t, { transport: { requestState: { ttlMs: 60_000 } } })
  const call = (id: number, extra: object = {}): ReturnType<typeof modernRequest> =>
    modernRequest(id, 'tools/call', { name: 'greet', arguments: {}, ...extra }, ELICIT)
  const first = resultOf(await modernPost(app, call(1), { 'x-principal': 'alice' }))
  const answers = { user_name: accept({ name: 'Ada' }) }
  const refused = async (id: number, request: object, headers: Record<string, string>): Promise<void> => {
    const before = runs()
    const response = await modernPost(app, request as ReturnType<typeof modernRequest>, headers)
    assertRpcError(response, { status: 200, code: -32602, message: 'Invalid or expired requestState', id })
    assert.deepEqual(JSON.parse(response.body).error.data, { reason: 'invalid_request_state' })
    assert.equal(runs(), before, 'the handler did not run')
  }
  await refused(2, call(2, { inputResponses: answers, requestState: `${String(first.requestState)}-TAMPERED` }), { 'x-principal': 'alice' })
  await refused(3, call(3, { inputResponses: answers, requestState: first.requestState }), { 'x-principal': 'mallory' })
  await refused(4, call(4, { inputResponses: answers, requestState: first.requestState }), {})
  await refused(5, call(5, { arguments: { salutation: 'Yo' }, inputResponses: answers, requestState: first.requestState }), { 'x-principal': 'alice' })
  const prompt = modernRequest(6, 'prompts/get', { name: 'context', inputResponses: answers, requestState: first.requestState }, ELICIT)
  await refused(6, prompt, { 'x-principal': 'alice' })
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 })
  await refused(7, call(7, { inputResponses: answers, requestState: first.requestState }), { 'x-principal': 'alice' })
})

test('an answer that is not what was asked for is -32602; malformed inputResponses too', async (t) => {
  const { app, runs } = await setup(t)
  const first = resultOf(await modernPost(app, modernRequest(1, 'tools/call', { name: 'greet' }, ELICIT)))
  const wrong = await modernPost(app, modernRequest(2, 'tools/call', { name: 'greet', inputResponses: { user_name: 12345 }, requestState: first.requestState }, ELICIT))
  assertRpcError(wrong, { status: 200, code: -32602, message: /inputResponses\["user_name"\] is not a elicitation\/create result/, id: 2 })
  const before = runs()
  for (const inputResponses of [null, 'yes', [1]]) {
    const malformed = await modernPost(app, modernRequest(3, 'tools/call', { name: 'greet', inputResponses, requestState: first.requestState }, ELICIT))
    assertRpcError(malformed, { status: 200, code: -32602, message: /inputResponses/, id: 3 })
  }
  assert.equal(runs(), before)
})

test('asking for a capability the request did not declare is 400 with -32021 and the capability', async (t) => {
  const { app } = await setup(t)
  const response = await modernPost(app, modernRequest(1, 'tools/call', { name: 'everything' }, { elicitation: {} }))
  assertRpcError(response, { status: 400, code: -32021, message: /sampling/, id: 1 })
  assert.deepEqual(JSON.parse(response.body).error.data, { requiredCapabilities: { sampling: {} } })
})

test('a method that may not ask (completion) and does is -32603, reported', async (t) => {
  const errors: unknown[] = []
  const { app } = await setup(t)
  app.mcp.onError((error) => { errors.push(error) })
  const response = await modernPost(app, modernRequest(1, 'completion/complete', { ref: { type: 'ref/prompt', name: 'args' }, argument: { name: 'topic', value: '' } }, ELICIT))
  assert.deepEqual(JSON.parse(response.body).error, { code: -32603, message: 'Internal error' })
  assert.equal((errors[0] as { code: string }).code, 'FST_MCP_PROTOCOL_NO_INPUT')
})

test('any node with the same keys continues a round; another key refuses it', async (t) => {
  const keys = ['k'.repeat(32), 'old-key-'.repeat(4)]
  const nodeA = await setup(t, { transport: { requestState: { keys: [keys[0]!] } } })
  const nodeB = await setup(t, { transport: { requestState: { keys } } })
  const nodeC = await setup(t, { transport: { requestState: { keys: ['another-key-'.repeat(3)] } } })
  const first = resultOf(await modernPost(nodeA.app, modernRequest(1, 'tools/call', { name: 'greet' }, ELICIT)))
  const retry = modernRequest(2, 'tools/call', { name: 'greet', inputResponses: { user_name: accept({ name: 'Ada' }) }, requestState: first.requestState }, ELICIT)
  assert.equal(resultOf(await modernPost(nodeB.app, retry)).resultType, 'input_required', 'node B took the round on')
  assertRpcError(await modernPost(nodeC.app, retry), { status: 200, code: -32602, message: 'Invalid or expired requestState', id: 2 })
})
