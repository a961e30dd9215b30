import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CancelledNotificationSchema as SdkCancelledNotificationSchema,
  CreateMessageRequestSchema as SdkCreateMessageRequestSchema,
  ElicitRequestSchema as SdkElicitRequestSchema,
  JSONRPCMessageSchema as SdkJSONRPCMessageSchema,
  ListRootsRequestSchema as SdkListRootsRequestSchema,
  ProgressNotificationSchema as SdkProgressNotificationSchema
} from '@modelcontextprotocol/sdk/types.js'
import {
  ErrorCode, McpError,
  type ClientSession, type CreateMessageRequestParams, type ElicitRequestParams, type JSONRPCRequest, type McpContext, type McpContextExtra,
  type McpServer, type RequestChannel
} from '../src/index.ts'
import {
  assertSdk, capableSession, flush, makeChannel, makeSession, resultOf, server, text, track, type TestChannel
} from './helpers.ts'

const SAMPLE: CreateMessageRequestParams = {
  messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
  maxTokens: 100
}

const SAMPLED = { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' }

const ELICIT: ElicitRequestParams = {
  mode: 'form',
  message: 'Your GitHub username?',
  requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
}

/**
 * A server with one tool, `run`, whose handler is `body`; its outcome (value or error) is
 * recorded, so a test can look at what a context method did from inside a handler. A failure
 * becomes an isError result, so an McpError does not turn into a JSON-RPC error response.
 */
function harness (body: (ctx: McpContext) => Promise<unknown>, options: Parameters<typeof server>[0] = {}) {
  const mcp = server(options)
  const outcomes: Array<{ value?: unknown, error?: unknown }> = []
  const contexts: McpContext[] = []
  mcp.tool({
    name: 'run',
    handler: async (_args, ctx) => {
      contexts.push(ctx)
      try {
        const value = await body(ctx)
        outcomes.push({ value })
        return { content: [{ type: 'text', text: JSON.stringify(value ?? null) }] }
      } catch (error) {
        outcomes.push({ error })
        return { content: [{ type: 'text', text: 'failed' }], isError: true }
      }
    }
  })
  return { mcp, outcomes, contexts }
}

function run (mcp: McpServer, session: ClientSession, channel: RequestChannel | undefined, id: JSONRPCRequest['id'] = 'call-1', params: Record<string, unknown> = {}) {
  return mcp.handleRequest({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'run', ...params } }, session, channel)
}

test('the context carries the request id, method, session, _meta and transport extra', async () => {
  const { mcp, contexts } = harness(async () => 'ok')
  const session = makeSession({ id: 's-9' })
  const extra = { principal: 'alice' } as unknown as McpContextExtra
  const response = await mcp.handleRequest({
    jsonrpc: '2.0',
    id: 77,
    method: 'tools/call',
    params: { name: 'run', _meta: { progressToken: 'tok', 'example.com/trace': 'abc' } }
  }, session, undefined, extra)
  resultOf(response)
  const [ctx] = contexts
  assert.equal(ctx!.requestId, 77)
  assert.equal(ctx!.method, 'tools/call')
  assert.equal(ctx!.session, session)
  assert.deepEqual(ctx!.meta, { progressToken: 'tok', 'example.com/trace': 'abc' })
  assert.equal(ctx!.extra, extra)
  assert.equal(ctx!.cancelled, false)
  assert.equal(ctx!.signal.aborted, false)
})

test('notify sends a notification through the request channel', async () => {
  const { mcp } = harness(async (ctx) => {
    await ctx.notify('notifications/message', { level: 'info', data: 'hi' })
    await ctx.notify('notifications/custom')
  })
  const channel = makeChannel()
  resultOf(await run(mcp, makeSession(), channel))
  assert.deepEqual(channel.sent, [
    { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'hi' } },
    { jsonrpc: '2.0', method: 'notifications/custom' }
  ])
})

test('notify waits for an asynchronous channel', async () => {
  const order: string[] = []
  const { mcp } = harness(async (ctx) => {
    await ctx.notify('notifications/custom')
    order.push('after notify')
  })
  const channel: RequestChannel = {
    async send () {
      await new Promise((resolve) => setImmediate(resolve))
      order.push('sent')
    }
  }
  await run(mcp, makeSession(), channel)
  assert.deepEqual(order, ['sent', 'after notify'])
})

test('notify without a channel throws FST_MCP_PROTOCOL_NO_CHANNEL', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.notify('notifications/custom'))
  const result = resultOf(await run(mcp, makeSession(), undefined))
  assert.equal(result.isError, true)
  assert.equal((outcomes[0]!.error as { code?: string }).code, 'FST_MCP_PROTOCOL_NO_CHANNEL')
})

test('progress is sent only when the request has a progressToken', async () => {
  const { mcp } = harness(async (ctx) => {
    await ctx.progress(1, 2)
    await ctx.progress(2, 2)
  })
  const channel = makeChannel()
  resultOf(await run(mcp, makeSession(), channel))
  assert.deepEqual(channel.sent, [])
  // Nor does it need a channel then.
  resultOf(await run(mcp, makeSession(), undefined))
})

test('progress carries the token, total and message, and must increase', async () => {
  const { mcp } = harness(async (ctx) => {
    await ctx.progress(0.25)
    await ctx.progress(0.25) // not above the last one
    await ctx.progress(0.1) // lower
    await ctx.progress(0.5, 1, 'Half way')
    await ctx.progress(Number.NaN)
    await ctx.progress(1, 1)
  })
  for (const progressToken of ['tok-1', 42]) {
    const channel = makeChannel()
    resultOf(await run(mcp, makeSession(), channel, 'c', { _meta: { progressToken } }))
    assert.deepEqual(channel.sent, [
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: 0.25 } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: 0.5, total: 1, message: 'Half way' } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: 1, total: 1 } }
    ])
    for (const message of channel.sent) assertSdk(SdkProgressNotificationSchema, message, 'progress notification')
  }
})

test('no progress after the response', async () => {
  const { mcp, contexts } = harness(async (ctx) => { await ctx.progress(1) })
  const channel = makeChannel()
  resultOf(await run(mcp, makeSession(), channel, 'c', { _meta: { progressToken: 'tok' } }))
  assert.equal(channel.sent.length, 1)
  await contexts[0]!.progress(2)
  await contexts[0]!.progress(100, 100, 'done')
  assert.equal(channel.sent.length, 1, 'progress after the response is dropped')
})

test('no progress once the request is cancelled', async () => {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { mcp } = harness(async (ctx) => {
    await ctx.progress(1)
    await gate
    await ctx.progress(2) // after the cancellation: the token names no active request
  })
  const session = makeSession({ id: 'a' })
  const channel = makeChannel()
  const pending = run(mcp, session, channel, 'p-1', { _meta: { progressToken: 'tok' } })
  await flush()
  assert.equal(channel.notifications('notifications/progress').length, 1)
  mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'p-1' } }, session)
  release()
  assert.equal(await pending, undefined, 'cancelled by the client: no response')
  assert.deepEqual(channel.notifications('notifications/progress').map((message) => message.params!.progress), [1])
})

test('closeStream asks the channel to close the stream, and is a no-op without one', async () => {
  const { mcp } = harness(async (ctx) => { ctx.closeStream(1500); ctx.closeStream() })
  const channel = makeChannel()
  resultOf(await run(mcp, makeSession(), channel))
  assert.deepEqual(channel.closed, [1500, undefined])
  resultOf(await run(mcp, makeSession(), { send () {} }))
  resultOf(await run(mcp, makeSession(), undefined))
})

test('sample sends sampling/createMessage with a fresh id; the client\'s response resolves it', async () => {
  const { mcp } = harness(async (ctx) => {
    const first = await ctx.sample(SAMPLE)
    const second = await ctx.sample(SAMPLE)
    return [first, second]
  })
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel)

  const first = await channel.nextRequest()
  assert.equal(first.method, 'sampling/createMessage')
  assert.deepEqual(first.params, SAMPLE)
  assert.equal(typeof first.id, 'string')
  assertSdk(SdkCreateMessageRequestSchema, first, 'the sampling request')
  assertSdk(SdkJSONRPCMessageSchema, first, 'the sampling request frame')
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: first.id, result: SAMPLED }, session), true)

  const second = await channel.nextRequest()
  assert.notEqual(second.id, first.id, 'each request gets its own id')
  assert.notEqual(second.id, 'call-1', 'the id is not the id of the request being handled')
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: second.id, result: { ...SAMPLED, content: { type: 'text', text: 'Lyon' } } }, session), true)

  const result = resultOf(await pending)
  const [a, b] = JSON.parse(text(result)) as Array<{ content: { text: string } }>
  assert.equal(a!.content.text, 'Paris')
  assert.equal(b!.content.text, 'Lyon')
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: first.id, result: SAMPLED }, session), false, 'a second answer is not awaited')
})

test('an error response rejects with an McpError carrying code, message and data', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel)
  const request = await channel.nextRequest()
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, error: { code: -1, message: 'User rejected sampling request', data: { why: 'no' } } }, session), true)
  const result = resultOf(await pending)
  const error = outcomes[0]!.error as McpError
  assert.ok(error instanceof McpError)
  assert.equal(error.code, -1)
  assert.equal(error.message, 'User rejected sampling request')
  assert.deepEqual(error.data, { why: 'no' })
  assert.equal(result.isError, true)
})

test('a response from another session does not settle the request', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  const alice = capableSession('alice')
  const channel = makeChannel()
  const pending = track(run(mcp, alice, channel))
  const request = await channel.nextRequest()

  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: { ...SAMPLED, model: 'forged' } }, capableSession('mallory')), false)
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, error: { code: -1, message: 'forged' } }, capableSession('mallory')), false)
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: SAMPLED }, capableSession(undefined)), false, 'nor does a stateless client')
  await flush()
  assert.equal(pending.settled(), false)
  assert.equal(outcomes.length, 0)

  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: SAMPLED }, alice), true)
  resultOf(await pending.promise)
  assert.equal((outcomes[0]!.value as { model: string }).model, 'test-model')
})

test('a result that does not fit the schema rejects', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel)
  const request = await channel.nextRequest()
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: { role: 'assistant', content: { type: 'text', text: 'x' } } }, session), true)
  resultOf(await pending)
  const error = outcomes[0]!.error as McpError
  assert.ok(error instanceof McpError)
  assert.match(error.message, /sampling\/createMessage/)
  assert.match(error.message, /model/)
})

test('a client request times out (mock timers), rejects and tells the client with notifications/cancelled', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE), { requestTimeoutMs: 5000 })
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = track(run(mcp, session, channel))
  const request = await channel.nextRequest()

  t.mock.timers.tick(4999)
  await flush()
  assert.equal(pending.settled(), false, 'still waiting before the timeout')

  t.mock.timers.tick(1)
  const result = resultOf(await pending.promise)
  assert.equal(result.isError, true)
  const error = outcomes[0]!.error as McpError
  assert.ok(error instanceof McpError)
  assert.equal(error.code, ErrorCode.RequestTimeout)

  await flush()
  const cancelled = channel.notifications('notifications/cancelled')
  assert.equal(cancelled.length, 1)
  assert.equal(cancelled[0]!.params!.requestId, request.id)
  assert.equal(typeof cancelled[0]!.params!.reason, 'string')
  assertSdk(SdkCancelledNotificationSchema, cancelled[0], 'notifications/cancelled')

  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: SAMPLED }, session), false, 'a late answer is ignored')
})

test('the timeout option of a call overrides the server\'s requestTimeoutMs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { mcp, outcomes } = harness(async (ctx) => ctx.listRoots({ timeout: 100 }), { requestTimeoutMs: 60_000 })
  const channel = makeChannel()
  const pending = track(run(mcp, capableSession('a'), channel))
  await channel.nextRequest()
  t.mock.timers.tick(99)
  await flush()
  assert.equal(pending.settled(), false)
  t.mock.timers.tick(1)
  await pending.promise
  assert.equal((outcomes[0]!.error as McpError).code, ErrorCode.RequestTimeout)
})

test('the default request timeout is 60 seconds', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { mcp, outcomes } = harness(async (ctx) => ctx.listRoots())
  const channel = makeChannel()
  const pending = track(run(mcp, capableSession('a'), channel))
  await channel.nextRequest()
  t.mock.timers.tick(59_999)
  await flush()
  assert.equal(pending.settled(), false)
  t.mock.timers.tick(1)
  await pending.promise
  assert.equal((outcomes[0]!.error as McpError).code, ErrorCode.RequestTimeout)
})

test('elicit sends elicitation/create and resolves with the client\'s answer', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.elicit(ELICIT))
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel)
  const request = await channel.nextRequest()
  assert.equal(request.method, 'elicitation/create')
  assert.deepEqual(request.params, ELICIT)
  assertSdk(SdkElicitRequestSchema, request, 'the elicitation request')
  mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: { action: 'accept', content: { name: 'octocat' } } }, session)
  resultOf(await pending)
  assert.deepEqual(outcomes[0]!.value, { action: 'accept', content: { name: 'octocat' } })
})

test('listRoots sends roots/list without params and resolves with the roots', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.listRoots())
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel)
  const request = await channel.nextRequest()
  assert.equal(request.method, 'roots/list')
  assert.equal('params' in request, false)
  assertSdk(SdkListRootsRequestSchema, request, 'the roots request')
  const roots = { roots: [{ uri: 'file:///home/user/project', name: 'project' }] }
  mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: roots }, session)
  resultOf(await pending)
  assert.deepEqual(outcomes[0]!.value, roots)
})

test('a session whose client lacks the capability cannot be asked: FST_MCP_PROTOCOL_CLIENT_CAPABILITY', async () => {
  const asks: Array<[string, (ctx: McpContext) => Promise<unknown>]> = [
    ['sampling', async (ctx) => ctx.sample(SAMPLE)],
    ['elicitation', async (ctx) => ctx.elicit(ELICIT)],
    ['roots', async (ctx) => ctx.listRoots()]
  ]
  for (const [capability, ask] of asks) {
    const { mcp, outcomes } = harness(ask)
    const channel = makeChannel()
    const pending = track(run(mcp, makeSession({ id: 'a', clientCapabilities: {} }), channel))
    await flush()
    assert.equal(pending.settled(), true, `asking for ${capability} fails at once, without waiting for an answer`)
    resultOf(await pending.promise)
    const error = outcomes[0]!.error as Error & { code?: string }
    assert.equal(error.code, 'FST_MCP_PROTOCOL_CLIENT_CAPABILITY', capability)
    assert.match(error.message, new RegExp(capability))
    assert.deepEqual(channel.sent, [], 'nothing is sent')
  }
})

test('without a session the client\'s capabilities are unknown: the request is sent', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  const session = makeSession({ id: undefined, clientCapabilities: {} })
  const channel = makeChannel()
  const pending = run(mcp, session, channel)
  const request = await channel.nextRequest()
  assert.equal(request.method, 'sampling/createMessage')
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: SAMPLED }, makeSession({ id: undefined })), true)
  resultOf(await pending)
  assert.deepEqual(outcomes[0]!.value, SAMPLED)
})

test('elicitation does not exist at protocol 2025-03-26', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.elicit(ELICIT))
  const channel = makeChannel()
  const old = track(run(mcp, capableSession('old', '2025-03-26'), channel))
  await flush()
  assert.equal(old.settled(), true, 'the ask fails at once, without waiting for an answer')
  resultOf(await old.promise)
  assert.equal((outcomes[0]!.error as { code?: string }).code, 'FST_MCP_PROTOCOL_CLIENT_CAPABILITY')
  assert.deepEqual(channel.sent, [])

  // The same client at 2025-06-18 can be asked.
  const newer = makeChannel()
  const session = capableSession('new', '2025-06-18')
  const pending = run(mcp, session, newer)
  const request = await newer.nextRequest()
  assert.equal(request.method, 'elicitation/create')
  mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: { action: 'decline' } }, session)
  resultOf(await pending)
  assert.deepEqual(outcomes[1]!.value, { action: 'decline' })
})

test('a client request without a channel rejects with FST_MCP_PROTOCOL_NO_CHANNEL', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  resultOf(await run(mcp, capableSession('a'), undefined))
  assert.equal((outcomes[0]!.error as { code?: string }).code, 'FST_MCP_PROTOCOL_NO_CHANNEL')
})

test('cancelling the request abandons its client request and tells the client', async () => {
  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE))
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel, 'call-9')
  const request = await channel.nextRequest()
  mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'call-9', reason: 'user hit stop' } }, session)
  assert.equal(await pending, undefined, 'a cancelled request gets no response')
  // The answer does not wait for the handler; the handler's sample() fails right after.
  await flush()
  assert.ok(outcomes[0]!.error instanceof Error)
  const cancelled = channel.notifications('notifications/cancelled')
  assert.deepEqual(cancelled.map((notification) => notification.params!.requestId), [request.id])
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: request.id, result: SAMPLED }, session), false)
})

test('a client request asked after the request was cancelled fails at once and is not sent', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { mcp, outcomes } = harness(async (ctx) => {
    await gate // the handler ignores ctx.signal and carries on
    return ctx.sample(SAMPLE)
  })
  const session = capableSession('a')
  const channel = makeChannel()
  const pending = run(mcp, session, channel, 'call-late')
  mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'call-late' } }, session)
  release()
  await flush()
  try {
    assert.equal(outcomes.length, 1, 'sample() settled without waiting for the timeout')
    assert.ok(outcomes[0]!.error instanceof Error)
    assert.deepEqual(channel.requests(), [], 'no sampling request for a cancelled request')
  } finally {
    t.mock.timers.tick(60_000)
    assert.equal(await pending, undefined)
  }
})

test('a channel that fails to send the request: the call rejects and nothing is left to reject later', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.after(() => { process.off('unhandledRejection', onUnhandled) })

  const { mcp, outcomes } = harness(async (ctx) => ctx.sample(SAMPLE, { timeout: 1000 }))
  const channel: RequestChannel = {
    send (message) {
      if ('id' in message) throw new Error('stream closed')
    }
  }
  const result = resultOf(await run(mcp, capableSession('a'), channel))
  assert.equal(result.isError, true)
  assert.equal((outcomes[0]!.error as Error).message, 'stream closed')

  t.mock.timers.tick(1000)
  await flush()
  assert.deepEqual(unhandled, [], 'the abandoned request must not reject unobserved when its timer fires')
})

test('a client request abandoned while it is being sent raises no unhandled rejection', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.after(() => { process.off('unhandledRejection', onUnhandled) })

  const { mcp } = harness(async (ctx) => ctx.sample(SAMPLE))
  let finishSending!: () => void
  let sending!: () => void
  const started = new Promise<void>((resolve) => { sending = resolve })
  const channel: RequestChannel = {
    send (message) {
      if (!('id' in message)) return
      sending()
      return new Promise<void>((resolve) => { finishSending = resolve }) // a slow stream
    }
  }
  const pending = run(mcp, capableSession('a'), channel)
  await started
  mcp.closeSession('a')
  await flush()
  finishSending()
  const answer = await pending
  assert.ok(answer !== undefined && 'error' in answer, 'the server gave up on the call: an error, not silence')
  assert.equal(answer.error.message, 'Session closed')
  await flush()
  assert.deepEqual(unhandled, [])
})

test('each context talks only on its own channel', async () => {
  const { mcp } = harness(async (ctx) => ctx.notify('notifications/custom', { id: ctx.requestId }))
  const channels: TestChannel[] = [makeChannel(), makeChannel()]
  await Promise.all([run(mcp, makeSession(), channels[0], 'x'), run(mcp, makeSession(), channels[1], 'y')])
  assert.deepEqual(channels.map((channel) => channel.sent.map((message) => message.params!.id)), [['x'], ['y']])
})
