import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode, McpError, type ClientSession, type JSONRPCRequest, type McpContext, type McpServer } from '../src/index.ts'
import { capableSession, flush, makeChannel, makeSession, resultOf, server, track } from './helpers.ts'

/**
 * A server whose tool `wait` runs until its signal aborts (then throws the abort reason) or until
 * `finish()` lets it return; `started` resolves with each context as its handler starts.
 */
function waitingServer (options: Parameters<typeof server>[0] = {}) {
  const mcp = server(options)
  const contexts: McpContext[] = []
  const starters: Array<(ctx: McpContext) => void> = []
  let finishAll: () => void = () => {}
  const finished = new Promise<void>((resolve) => { finishAll = resolve })
  mcp.tool({
    name: 'wait',
    handler: async (_args, ctx) => {
      contexts.push(ctx)
      starters.shift()?.(ctx)
      await new Promise<void>((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
        finished.then(resolve, reject)
      })
      return { content: [{ type: 'text', text: `done ${String(ctx.requestId)}` }] }
    }
  })
  return {
    mcp,
    contexts,
    finish: () => finishAll(),
    started: () => new Promise<McpContext>((resolve) => { starters.push(resolve) })
  }
}

function callWait (mcp: McpServer, session: ClientSession, id: JSONRPCRequest['id']) {
  return mcp.handleRequest({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'wait' } }, session)
}

function cancel (mcp: McpServer, session: ClientSession, requestId: JSONRPCRequest['id'], reason?: string) {
  const params: Record<string, unknown> = { requestId }
  if (reason !== undefined) params.reason = reason
  mcp.handleNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params }, session)
}

test('notifications/cancelled aborts ctx.signal and the request gets no response', async () => {
  const { mcp, started } = waitingServer()
  const session = makeSession({ id: 'a' })
  const ready = started()
  const pending = callWait(mcp, session, 5)
  const ctx = await ready
  assert.equal(ctx.signal.aborted, false)
  cancel(mcp, session, 5, 'User requested cancellation')
  assert.equal(ctx.signal.aborted, true)
  assert.equal(ctx.cancelled, true)
  assert.match(String((ctx.signal.reason as Error).message), /User requested cancellation/)
  assert.equal(await pending, undefined)
})

test('a cancelled request gets no response even when its handler ignores the signal', async () => {
  const reported: unknown[] = []
  const mcp = server({ onError: (error) => { reported.push(error) } })
  const gates = new Map<string, { entered: Promise<void>, enter: () => void, release: () => void, released: Promise<void> }>()
  for (const name of ['stubborn', 'mcp_thrower', 'thrower']) {
    let enter!: () => void
    let release!: () => void
    const entered = new Promise<void>((resolve) => { enter = resolve })
    const released = new Promise<void>((resolve) => { release = resolve })
    gates.set(name, { entered, enter, release, released })
  }
  const wait = async (name: string) => { gates.get(name)!.enter(); await gates.get(name)!.released }
  mcp.tool({ name: 'stubborn', handler: async () => { await wait('stubborn'); return { content: [] } } })
  mcp.tool({ name: 'mcp_thrower', handler: async () => { await wait('mcp_thrower'); throw new McpError(-32000, 'late') } })
  // Outside a tool, an Error would be -32603 and reach onError.
  mcp.resource({ uri: 'mem://slow', name: 'slow', read: async () => { await wait('thrower'); throw new Error('late') } })
  const session = makeSession({ id: 'a' })
  const requests: JSONRPCRequest[] = [
    { jsonrpc: '2.0', id: 'stubborn', method: 'tools/call', params: { name: 'stubborn' } },
    { jsonrpc: '2.0', id: 'mcp_thrower', method: 'tools/call', params: { name: 'mcp_thrower' } },
    { jsonrpc: '2.0', id: 'thrower', method: 'resources/read', params: { uri: 'mem://slow' } }
  ]
  for (const request of requests) {
    const gate = gates.get(String(request.id))!
    const pending = mcp.handleRequest(request, session)
    await gate.entered
    cancel(mcp, session, request.id)
    gate.release()
    assert.equal(await pending, undefined, String(request.id))
  }
  assert.deepEqual(reported, [], 'a cancelled request\'s failure is not reported')
})

test('the signal obtained after the cancellation is already aborted', async () => {
  const mcp = server()
  let seen: AbortSignal | undefined
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  let entered!: () => void
  const inside = new Promise<void>((resolve) => { entered = resolve })
  mcp.tool({ name: 'late', handler: async (_args, ctx) => { entered(); await gate; seen = ctx.signal; return { content: [] } } })
  const session = makeSession({ id: 'a' })
  const pending = mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'late' } }, session)
  await inside
  cancel(mcp, session, 1, 'stop')
  release()
  assert.equal(await pending, undefined)
  assert.equal(seen!.aborted, true)
})

test('the same request id from another session is not cancelled', async () => {
  const { mcp, started, finish } = waitingServer()
  const alice = makeSession({ id: 'alice' })
  const bob = makeSession({ id: 'bob' })
  const ready = started()
  const pending = callWait(mcp, alice, 1)
  const ctx = await ready
  cancel(mcp, bob, 1)
  cancel(mcp, makeSession({ id: undefined }), 1)
  assert.equal(ctx.signal.aborted, false)
  finish()
  assert.deepEqual(resultOf(await pending), { content: [{ type: 'text', text: 'done 1' }] })
})

test('a string id does not cancel the number id with the same digits', async () => {
  const { mcp, started, finish } = waitingServer()
  const session = makeSession({ id: 'a' })
  const ready = started()
  const pending = callWait(mcp, session, 1)
  const ctx = await ready
  cancel(mcp, session, '1')
  assert.equal(ctx.signal.aborted, false)
  cancel(mcp, session, 2)
  assert.equal(ctx.signal.aborted, false)
  finish()
  resultOf(await pending)
})

test('only the named request of a session is cancelled', async () => {
  const { mcp, started, finish } = waitingServer()
  const session = makeSession({ id: 'a' })
  const firstReady = started()
  const first = callWait(mcp, session, 'first')
  const firstCtx = await firstReady
  const secondReady = started()
  const second = callWait(mcp, session, 'second')
  const secondCtx = await secondReady
  cancel(mcp, session, 'first')
  assert.equal(firstCtx.signal.aborted, true)
  assert.equal(secondCtx.signal.aborted, false)
  assert.equal(await first, undefined)
  finish()
  resultOf(await second)
})

test('requests of several sessions ending in any order: each cancellation finds its own, and the rest go on', async () => {
  const { mcp, started, finish } = waitingServer()
  const sessions = [makeSession({ id: 'a' }), makeSession({ id: 'b' })]
  const calls = new Map<string, { ctx: McpContext, answer: ReturnType<typeof callWait> }>()
  const call = async (session: number, id: number): Promise<void> => {
    const ready = started()
    const answer = callWait(mcp, sessions[session]!, id)
    calls.set(`${sessions[session]!.id}${id}`, { ctx: await ready, answer })
  }
  for (const id of [1, 2, 3, 4, 5]) for (const session of [0, 1]) await call(session, id)
  assert.equal(mcp.activeRequests, 10)
  // The middle, the oldest, the newest of session a, then b's in another order, then the rest.
  const order = [[0, 3], [0, 1], [0, 5], [1, 4], [1, 2], [0, 4], [1, 1], [0, 2], [1, 5], [1, 3]] as const
  for (const [n, [session, id]] of order.entries()) {
    cancel(mcp, sessions[session]!, id)
    assert.equal(await calls.get(`${sessions[session]!.id}${id}`)!.answer, undefined)
    const cancelled = new Set(order.slice(0, n + 1).map(([s, i]) => `${sessions[s]!.id}${i}`))
    for (const [key, { ctx }] of calls) assert.equal(ctx.signal.aborted, cancelled.has(key), `${key} after ${n + 1} cancellations`)
    assert.equal(mcp.activeRequests, 9 - n)
  }
  assert.equal(await mcp.drain(10), true)
  // Nothing of the answered requests is left to be found: an id used again names the new request.
  await call(0, 2)
  cancel(mcp, sessions[0]!, 2)
  assert.equal(calls.get('a2')!.ctx.signal.aborted, true)
  assert.equal(await calls.get('a2')!.answer, undefined)
  finish()
})

test('a cancellation that arrives after the response is ignored', async () => {
  const { mcp, started, finish } = waitingServer()
  const session = makeSession({ id: 'a' })
  const ready = started()
  const pending = callWait(mcp, session, 3)
  const ctx = await ready
  finish()
  resultOf(await pending)
  assert.doesNotThrow(() => cancel(mcp, session, 3))
  assert.equal(ctx.signal.aborted, false)
  assert.equal(ctx.cancelled, false)
})

test('a request id can be used again once its request is answered', async () => {
  const { mcp, started } = waitingServer()
  const session = makeSession({ id: 'a' })
  let ready = started()
  const firstCall = callWait(mcp, session, 'same')
  await ready
  cancel(mcp, session, 'same')
  assert.equal(await firstCall, undefined)
  ready = started()
  const secondCall = callWait(mcp, session, 'same')
  const ctx = await ready
  assert.equal(ctx.signal.aborted, false, 'the new request is not cancelled by the old notification')
  cancel(mcp, session, 'same')
  assert.equal(await secondCall, undefined)
})

test('closeSession cancels that session\'s requests in flight, and only those', async () => {
  const { mcp, started, finish } = waitingServer()
  const alice = makeSession({ id: 'alice' })
  const bob = makeSession({ id: 'bob' })
  let ready = started()
  const aliceCall = callWait(mcp, alice, 1)
  const aliceCtx = await ready
  ready = started()
  const bobCall = track(callWait(mcp, bob, 1))
  const bobCtx = await ready

  mcp.closeSession('alice')
  assert.equal(aliceCtx.signal.aborted, true)
  const reason = aliceCtx.signal.reason as McpError
  assert.ok(reason instanceof McpError)
  assert.equal(reason.code, ErrorCode.ConnectionClosed)
  // The server gave up on it (not the client): it is answered with an error saying why.
  const answer = await aliceCall
  assert.ok(answer !== undefined && 'error' in answer)
  assert.deepEqual(answer.error, { code: ErrorCode.ConnectionClosed, message: 'Session closed' })

  assert.equal(bobCtx.signal.aborted, false)
  await flush()
  assert.equal(bobCall.settled(), false)
  finish()
  resultOf(await bobCall.promise)
})

test('closeSession rejects the client requests that session awaits, and only those', async () => {
  const mcp = server()
  const asked = new Map<string, Promise<unknown>>()
  // The handler asks and returns at once: the question outlives the request.
  mcp.tool({
    name: 'ask',
    handler: (_args, ctx) => {
      const answer = ctx.listRoots()
      answer.catch(() => {})
      asked.set(ctx.session.id!, answer)
      return { content: [] }
    }
  })
  const alice = capableSession('alice')
  const bob = capableSession('bob')
  const aliceChannel = makeChannel()
  const bobChannel = makeChannel()
  resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask' } }, alice, aliceChannel))
  resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask' } }, bob, bobChannel))
  const aliceAnswer = track(asked.get('alice')!)
  const bobAnswer = track(asked.get('bob')!)
  const aliceRequest = await aliceChannel.nextRequest()
  const bobRequest = await bobChannel.nextRequest()

  mcp.closeSession('alice')
  await assert.rejects(aliceAnswer.promise, (error: McpError) => {
    assert.ok(error instanceof McpError)
    assert.equal(error.code, ErrorCode.ConnectionClosed)
    return true
  })
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: aliceRequest.id, result: { roots: [] } }, alice), false)

  await flush()
  assert.equal(bobAnswer.settled(), false)
  assert.equal(mcp.handleResponse({ jsonrpc: '2.0', id: bobRequest.id, result: { roots: [] } }, bob), true)
  assert.deepEqual(await bobAnswer.promise, { roots: [] })
})

test('closeSession of an unknown session changes nothing', async () => {
  const { mcp, started, finish } = waitingServer()
  const session = makeSession({ id: 'a' })
  const ready = started()
  const pending = callWait(mcp, session, 1)
  const ctx = await ready
  mcp.closeSession('nobody')
  mcp.closeSession('a ')
  assert.equal(ctx.signal.aborted, false)
  finish()
  resultOf(await pending)
})

test('handlerTimeoutMs: a request past the limit is cancelled (its signal aborted) and answered -32003; 2026-07-28 gets -32603', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 })
  const { mcp, started } = waitingServer({ handlerTimeoutMs: 5000 })
  t.after(() => mcp.close())
  const ready = started()
  const pending = callWait(mcp, makeSession({ id: 'a' }), 1)
  const ctx = await ready
  t.mock.timers.tick(4000)
  assert.equal(ctx.signal.aborted, false, 'within the limit')
  t.mock.timers.tick(1000)
  assert.equal(ctx.signal.aborted, true)
  assert.deepEqual((await pending as { error: unknown }).error, { code: -32003, message: 'The request ran past the server\'s limit of 5000 ms' })

  const modernReady = started()
  const modern = callWait(mcp, makeSession({ protocolVersion: '2026-07-28' }), 2)
  await modernReady
  t.mock.timers.tick(6000)
  assert.deepEqual((await modern as { error: unknown }).error, { code: -32603, message: 'The request ran past the server\'s limit of 5000 ms' })
})

test('handlerTimeoutMs: 0 turns the limit off', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 })
  const { mcp, started, finish } = waitingServer({ handlerTimeoutMs: 0 })
  const ready = started()
  const pending = callWait(mcp, makeSession({ id: 'a' }), 1)
  const ctx = await ready
  t.mock.timers.tick(3_600_000)
  assert.equal(ctx.signal.aborted, false)
  finish()
  assert.deepEqual(resultOf(await pending).content, [{ type: 'text', text: 'done 1' }])
})

test('a handler that ignores its signal does not hold its answer back: past handlerTimeoutMs the error goes out at once', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 })
  const mcp = server({ handlerTimeoutMs: 2000 })
  t.after(() => mcp.close())
  mcp.tool({ name: 'stuck', handler: () => new Promise<never>(() => {}) })
  const pending = mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'stuck' } }, makeSession({ id: 'a' }))
  await flush()
  t.mock.timers.tick(3000)
  assert.deepEqual((await pending as { error: unknown }).error, { code: -32003, message: 'The request ran past the server\'s limit of 2000 ms' })
  assert.equal(mcp.activeRequests, 0)
})
