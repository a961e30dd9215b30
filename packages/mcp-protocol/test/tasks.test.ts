import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mock, test } from 'node:test'
import {
  ErrorCode, McpError, MemoryTaskStore, taskChannel,
  type ClientCapabilities, type ClientSession, type McpServer, type McpTaskEvent, type TaskRecord
} from '../src/index.ts'
import { errorOf, flush, makeChannel, makeSession, resultOf, send, server, text } from './helpers.ts'
import { until } from './task-store-contract.ts'

const TASKS = 'io.modelcontextprotocol/tasks'
const ALL: ClientCapabilities = { elicitation: {}, sampling: {}, extensions: { [TASKS]: {} } }

/** A 2026-07-28 client, as one request's envelope describes it. */
function client (capabilities: ClientCapabilities = ALL, principal?: string): ClientSession {
  return { ...makeSession({ id: undefined, protocolVersion: '2026-07-28', clientCapabilities: capabilities }), principal }
}

/** A gate a handler waits on until the test opens it. */
function gate (): { wait: (signal: AbortSignal) => Promise<void>, open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => { open = resolve })
  return {
    open,
    wait: (signal) => new Promise<void>((resolve, reject) => {
      opened.then(resolve, reject)
      signal.addEventListener('abort', () => reject(new Error('aborted', { cause: signal.reason })), { once: true })
    })
  }
}

function withTools (mcp: McpServer, work = gate()): McpServer {
  mcp.tool({ name: 'direct', description: 'Never a task', handler: () => ({ content: [{ type: 'text', text: 'direct' }] }) })
  mcp.tool({
    name: 'job',
    description: 'A task for clients that can; waits for the test',
    taskSupport: 'optional',
    handler: async (_args, ctx) => {
      await ctx.progress(1, 2, 'halfway')
      await work.wait(ctx.signal)
      return { content: [{ type: 'text', text: `job done (${ctx.taskId === undefined ? 'direct' : 'task'})` }] }
    }
  })
  mcp.tool({
    name: 'must',
    description: 'Always a task',
    taskSupport: 'required',
    handler: async (_args, ctx) => {
      await work.wait(ctx.signal)
      return { content: [{ type: 'text', text: 'must done' }], isError: true }
    }
  })
  mcp.tool({
    name: 'refuses',
    description: 'Fails with a protocol error',
    taskSupport: 'required',
    handler: () => { throw new McpError(ErrorCode.InvalidParams, 'No such report', { report: 7 }) }
  })
  mcp.tool({
    name: 'asks',
    description: 'Asks two questions at once',
    taskSupport: 'required',
    handler: async (_args, ctx) => {
      const form = (message: string) => ({ message, requestedSchema: { type: 'object' as const, properties: { v: { type: 'string' as const } } } })
      const [a, b] = await Promise.all([ctx.elicit(form('A?'), { key: 'a' }), ctx.elicit(form('B?'), { key: 'b' })])
      return { content: [{ type: 'text', text: `${String(a.content?.v)} ${String(b.content?.v)}` }] }
    }
  })
  return mcp
}

async function create (mcp: McpServer, name: string, session = client()): Promise<Record<string, unknown>> {
  const created = resultOf(await send(mcp, 'tools/call', { name, arguments: {} }, session))
  assert.equal(created.resultType, 'task', JSON.stringify(created))
  return created
}

async function poll (mcp: McpServer, taskId: unknown, session = client()): Promise<Record<string, unknown>> {
  return resultOf(await send(mcp, 'tasks/get', { taskId }, session))
}

async function settled (mcp: McpServer, taskId: unknown, session = client()): Promise<Record<string, unknown>> {
  let task = await poll(mcp, taskId, session)
  await until(async () => {
    task = await poll(mcp, taskId, session)
    return !['working', 'input_required'].includes(task.status as string)
  }, `task ${String(taskId)} to end`)
  return task
}

test('the extension is advertised in server/discover only while a tool supports tasks; tasks/* are -32601 without it', async () => {
  const mcp = server()
  mcp.tool({ name: 'direct', description: 'x', handler: () => ({ content: [] }) })
  const before = resultOf(await send(mcp, 'server/discover', {}, client()))
  assert.equal((before.capabilities as { extensions?: unknown }).extensions, undefined)
  assert.equal(errorOf(await send(mcp, 'tasks/get', { taskId: 'x' }, client())).code, ErrorCode.MethodNotFound)
  const job = mcp.tool({ name: 'job', description: 'x', taskSupport: 'optional', handler: () => ({ content: [] }) })
  const after = resultOf(await send(mcp, 'server/discover', {}, client()))
  assert.deepEqual((after.capabilities as { extensions?: unknown }).extensions, { [TASKS]: {} })
  assert.equal((after.capabilities as { tasks?: unknown }).tasks, undefined)
  // Not a 2025 extension: initialize does not name it.
  const init = resultOf(await send(mcp, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }, makeSession()))
  assert.equal((init.capabilities as { extensions?: unknown }).extensions, undefined)
  // The removed methods stay unknown.
  for (const method of ['tasks/result', 'tasks/list']) assert.equal(errorOf(await send(mcp, method, { taskId: 'x' }, client())).code, ErrorCode.MethodNotFound)
  job.remove()
  assert.equal(errorOf(await send(mcp, 'tasks/get', { taskId: 'x' }, client())).code, ErrorCode.MethodNotFound)
})

test('who gets a task: optional and required tools for clients that declare the extension, per request', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  work.open()
  // Forbidden: never, even with the extension (and a 2025-style `task` param is ignored).
  const direct = resultOf(await send(mcp, 'tools/call', { name: 'direct', arguments: {}, task: { ttl: 60000 } }, client()))
  assert.equal(direct.resultType, 'complete')
  // Optional without the extension: answered directly.
  const plain = resultOf(await send(mcp, 'tools/call', { name: 'job', arguments: {} }, client({ elicitation: {} })))
  assert.equal(plain.resultType, 'complete')
  assert.equal(text(plain), 'job done (direct)')
  // Required without the extension: -32021 with the capability it needs, before the handler runs.
  const refused = errorOf(await send(mcp, 'tools/call', { name: 'must', arguments: {} }, client({})))
  assert.equal(refused.code, ErrorCode.MissingRequiredClientCapability)
  assert.deepEqual(refused.data, { requiredCapabilities: { extensions: { [TASKS]: {} } } })
  // With it: a flat CreateTaskResult.
  const created = await create(mcp, 'job')
  assert.equal(created.status, 'working')
  assert.match(created.taskId as string, /^[A-Za-z0-9_-]{22}$/)
  assert.match(created.createdAt as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/)
  assert.equal(created.ttlMs, 3_600_000)
  assert.equal(created.pollIntervalMs, 1000)
  for (const absent of ['task', 'result', 'error', 'inputRequests', 'requestState', 'ttl', 'pollInterval', 'cacheScope']) {
    assert.equal(absent in created, false, absent)
  }
  const done = await settled(mcp, created.taskId)
  assert.equal(done.status, 'completed')
  assert.equal(done.statusMessage, 'halfway')
  assert.deepEqual(done.result, { resultType: 'complete', content: [{ type: 'text', text: 'job done (task)' }] })
  // tasks/* without the extension: -32021, whatever the id.
  for (const [method, params] of [['tasks/get', { taskId: created.taskId }], ['tasks/update', { taskId: 'x', inputResponses: {} }], ['tasks/cancel', { taskId: 'x' }]] as const) {
    assert.equal(errorOf(await send(mcp, method, params, client({}))).code, ErrorCode.MissingRequiredClientCapability, method)
  }
})

test('a tool error completes the task; a protocol error fails it, with the error and no result', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  work.open()
  const toolError = await settled(mcp, (await create(mcp, 'must')).taskId)
  assert.equal(toolError.status, 'completed')
  assert.equal((toolError.result as { isError?: boolean }).isError, true)
  const failed = await settled(mcp, (await create(mcp, 'refuses')).taskId)
  assert.equal(failed.status, 'failed')
  assert.deepEqual(failed.error, { code: ErrorCode.InvalidParams, message: 'No such report', data: { report: 7 } })
  assert.equal(failed.statusMessage, 'Tool execution failed: No such report')
  assert.equal('result' in failed, false)
})

test('questions: input_required with every outstanding question, answered in parts through tasks/update', async () => {
  const mcp = withTools(server())
  const created = await create(mcp, 'asks')
  let task = await poll(mcp, created.taskId)
  await until(async () => {
    task = await poll(mcp, created.taskId)
    return task.status === 'input_required'
  }, 'the questions')
  assert.deepEqual(Object.keys(task.inputRequests as object).sort(), ['a', 'b'])
  assert.equal((task.inputRequests as Record<string, { method: string }>).a!.method, 'elicitation/create')
  // An answer that does not fit its question is refused; an unknown key is ignored.
  const wrong = errorOf(await send(mcp, 'tasks/update', { taskId: created.taskId, inputResponses: { a: { nope: true } } }, client()))
  assert.equal(wrong.code, ErrorCode.InvalidParams)
  const ack = resultOf(await send(mcp, 'tasks/update', { taskId: created.taskId, inputResponses: { unknown: { ignored: true } } }, client()))
  assert.deepEqual(Object.keys(ack).sort(), ['_meta', 'resultType'])
  // One answer: the next read lists only the other question.
  resultOf(await send(mcp, 'tasks/update', { taskId: created.taskId, inputResponses: { a: { action: 'accept', content: { v: 'x' } } } }, client()))
  task = await poll(mcp, created.taskId)
  assert.equal(task.status, 'input_required')
  assert.deepEqual(Object.keys(task.inputRequests as object), ['b'])
  resultOf(await send(mcp, 'tasks/update', { taskId: created.taskId, inputResponses: { b: { action: 'accept', content: { v: 'y' } } } }, client()))
  const done = await settled(mcp, created.taskId)
  assert.equal(done.status, 'completed')
  assert.equal(text(done.result as Record<string, unknown>), 'x y')
})

test('a question the creating request cannot be asked fails the task with -32021', async () => {
  const mcp = withTools(server())
  const created = await create(mcp, 'asks', client({ extensions: { [TASKS]: {} } }))
  const failed = await settled(mcp, created.taskId)
  assert.equal(failed.status, 'failed')
  assert.equal((failed.error as { code: number }).code, ErrorCode.MissingRequiredClientCapability)
})

test('tasks/cancel stops the handler at once and acknowledges, on unfinished and finished tasks alike', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  const created = await create(mcp, 'job')
  const ack = resultOf(await send(mcp, 'tasks/cancel', { taskId: created.taskId }, client()))
  assert.deepEqual(Object.keys(ack).sort(), ['_meta', 'resultType'])
  const task = await poll(mcp, created.taskId)
  assert.equal(task.status, 'cancelled')
  assert.equal(task.statusMessage, 'Cancelled by the client')
  await until(() => mcp.runningTasks === 0, 'the handler to stop')
  assert.equal((await poll(mcp, created.taskId)).status, 'cancelled')
  resultOf(await send(mcp, 'tasks/cancel', { taskId: created.taskId }, client()))
  work.open()
  const finished = await settled(mcp, (await create(mcp, 'job')).taskId)
  assert.equal(finished.status, 'completed')
  resultOf(await send(mcp, 'tasks/cancel', { taskId: finished.taskId }, client()))
  assert.equal((await poll(mcp, finished.taskId)).status, 'completed')
})

test('a task is its creator\'s: another principal, or anonymity, finds nothing, exactly as for an unknown id', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  const alice = client(ALL, 'alice')
  const created = await create(mcp, 'job', alice)
  const unknown = errorOf(await send(mcp, 'tasks/get', { taskId: 'no-such-task-0000000000' }, alice))
  assert.equal(unknown.code, ErrorCode.InvalidParams)
  for (const other of [client(ALL, 'mallory'), client(ALL)]) {
    for (const [method, params] of [
      ['tasks/get', { taskId: created.taskId }],
      ['tasks/update', { taskId: created.taskId, inputResponses: {} }],
      ['tasks/cancel', { taskId: created.taskId }]
    ] as const) {
      assert.deepEqual(errorOf(await send(mcp, method, params, other)), unknown, method)
    }
  }
  assert.equal((await poll(mcp, created.taskId, alice)).status, 'working')
  work.open()
  assert.equal((await settled(mcp, created.taskId, alice)).status, 'completed')
})

test('start: handler: questions first (input_required rounds), then ctx.startTask() makes it a task', async () => {
  const mcp = server()
  mcp.tool({
    name: 'later',
    description: 'Asks, then becomes a task',
    taskSupport: 'optional',
    task: { start: 'handler' },
    handler: async (_args, ctx) => {
      const answer = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { key: 'user_name' })
      await ctx.startTask()
      assert.ok(ctx.taskId !== undefined || !('extensions' in ctx.session.clientCapabilities))
      return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)}` }] }
    }
  })
  const first = resultOf(await send(mcp, 'tools/call', { name: 'later', arguments: {} }, client()))
  assert.equal(first.resultType, 'input_required')
  assert.equal('taskId' in first, false)
  const second = resultOf(await send(mcp, 'tools/call', {
    name: 'later', arguments: {}, inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } }, requestState: first.requestState
  }, client()))
  assert.equal(second.resultType, 'task')
  assert.equal('requestState' in second, false)
  assert.equal('inputRequests' in second, false)
  const done = await settled(mcp, second.taskId)
  assert.equal(text(done.result as Record<string, unknown>), 'Hello, Alice')
  // The same handler answers directly a client without the extension.
  const round = resultOf(await send(mcp, 'tools/call', { name: 'later', arguments: {} }, client({ elicitation: {} })))
  const direct = resultOf(await send(mcp, 'tools/call', {
    name: 'later', arguments: {}, inputResponses: { user_name: { action: 'accept', content: { name: 'Bob' } } }, requestState: round.requestState
  }, client({ elicitation: {} })))
  assert.equal(direct.resultType, 'complete')
  assert.equal(text(direct), 'Hello, Bob')
})

test('at most maxPerPrincipal unfinished tasks: an optional tool then answers directly, a required one fails', async () => {
  const work = gate()
  const mcp = withTools(server({ tasks: { maxPerPrincipal: 1 } }), work)
  const first = await create(mcp, 'must', client(ALL, 'alice'))
  const refused = errorOf(await send(mcp, 'tools/call', { name: 'must', arguments: {} }, client(ALL, 'alice')))
  assert.equal(refused.code, ErrorCode.InternalError)
  assert.deepEqual(refused.data, { reason: 'task_limit' })
  // Another principal has room.
  await create(mcp, 'must', client(ALL, 'bob'))
  work.open()
  const direct = resultOf(await send(mcp, 'tools/call', { name: 'job', arguments: {} }, client(ALL, 'alice')))
  assert.equal(direct.resultType, 'complete')
  await settled(mcp, first.taskId, client(ALL, 'alice'))
  await create(mcp, 'must', client(ALL, 'alice'))
})

test('two servers sharing a store: a task created on one is read, fed and cancelled through the other', async () => {
  const store = new MemoryTaskStore()
  const a = withTools(server({ tasks: { store } }))
  const b = withTools(server({ tasks: { store } }))
  const created = await create(a, 'asks')
  await until(async () => (await poll(b, created.taskId)).status === 'input_required', 'the questions, on b')
  resultOf(await send(b, 'tasks/update', { taskId: created.taskId, inputResponses: { a: { action: 'accept', content: { v: '1' } }, b: { action: 'accept', content: { v: '2' } } } }, client()))
  const done = await settled(b, created.taskId)
  assert.equal(text(done.result as Record<string, unknown>), '1 2')

  const running = await create(a, 'job')
  resultOf(await send(b, 'tasks/cancel', { taskId: running.taskId }, client()))
  await until(() => a.runningTasks === 0, 'the handler on a to stop')
  assert.equal((await poll(a, running.taskId)).status, 'cancelled')
  a.close()
  b.close()
})

test('a task whose node is gone (no lease) is failed by the first node that reads it, saying why', async () => {
  const store = new MemoryTaskStore()
  const events: unknown[] = []
  const listener = (event: unknown): void => { events.push(event) }
  subscribe('mcp-fastify:task:ended', listener)
  const mcp = withTools(server({ tasks: { store } }))
  const now = Date.now()
  const orphan: TaskRecord = {
    id: 'orphan-task-0000000000',
    principal: null,
    tool: 'job',
    node: 'a-dead-node',
    createdAt: now,
    updatedAt: now,
    ttlMs: 60_000,
    pollIntervalMs: 1000,
    keepUntil: now + 60_000,
    status: 'working',
    pending: {},
    answers: {}
  }
  await store.create(orphan, 10)
  const task = await poll(mcp, orphan.id)
  unsubscribe('mcp-fastify:task:ended', listener)
  assert.equal(task.status, 'failed')
  assert.deepEqual(task.error, {
    code: ErrorCode.InternalError,
    message: 'The server node running this task stopped before it finished; the task did not complete',
    data: { reason: 'node_gone' }
  })
  assert.deepEqual(events, [{ taskId: orphan.id, tool: 'job', status: 'failed', errorType: 'node_gone' }])
})

test('the sweeper fails tasks of dead nodes nobody reads; a task past its TTL is stopped and fails', async (t) => {
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] })
  t.after(() => mock.timers.reset())
  const store = new MemoryTaskStore()
  const mcp = server({ tasks: { store, sweepIntervalMs: 5000 } })
  mcp.tool({
    name: 'forever',
    description: 'Waits for its signal',
    taskSupport: 'required',
    task: { ttlMs: 10_000 },
    handler: (_args, ctx) => new Promise<{ content: [] }>((_resolve, reject) => { ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))) })
  })
  const created = await create(mcp, 'forever')
  const now = Date.now()
  await store.create({
    id: 'orphan-task-0000000001',
    principal: null,
    tool: 'job',
    node: 'a-dead-node',
    createdAt: now,
    updatedAt: now,
    ttlMs: 60_000,
    pollIntervalMs: 1000,
    keepUntil: now + 60_000,
    status: 'working',
    pending: {},
    answers: {}
  }, 10)
  mock.timers.tick(5000)
  await flush()
  assert.equal((await store.get({ principal: null, id: 'orphan-task-0000000001' }))?.status, 'failed')
  mock.timers.tick(5000)
  await flush()
  const expired = await poll(mcp, created.taskId)
  assert.equal(expired.status, 'failed')
  assert.deepEqual((expired.error as { data?: unknown }).data, { reason: 'expired' })
  await flush()
  assert.equal(mcp.runningTasks, 0)
  mcp.close()
})

test('shutdown: running tasks get their grace, then fail saying the node shut down', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  const created = await create(mcp, 'job')
  await mcp.closeTasks(50)
  const task = await poll(mcp, created.taskId)
  assert.equal(task.status, 'failed')
  assert.deepEqual((task.error as { data?: unknown }).data, { reason: 'shutdown' })
  // While closing, a required tool is refused, an optional one answered directly.
  assert.equal(errorOf(await send(mcp, 'tools/call', { name: 'must', arguments: {} }, client())).code, ErrorCode.InternalError)
  work.open()
  assert.equal(resultOf(await send(mcp, 'tools/call', { name: 'job', arguments: {} }, client())).resultType, 'complete')
})

test('tasks are traced on mcp-fastify:task: created, then ended with their status', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  const seen: Array<[string, McpTaskEvent]> = []
  const ignore = (): void => {}
  const handlers = {
    start: (event: McpTaskEvent) => { seen.push(['start', { ...event }]) },
    end: ignore,
    asyncStart: ignore,
    asyncEnd: (event: McpTaskEvent) => { seen.push(['end', { ...event }]) },
    error: ignore
  }
  taskChannel.subscribe(handlers)
  try {
    work.open()
    await settled(mcp, (await create(mcp, 'must')).taskId)
    await settled(mcp, (await create(mcp, 'refuses')).taskId)
    await until(() => seen.length === 4, 'four events')
  } finally {
    taskChannel.unsubscribe(handlers)
  }
  assert.deepEqual(seen.map(([kind, event]) => [kind, event.tool, event.status, event.errorType]), [
    ['start', 'must', undefined, undefined],
    ['end', 'must', 'completed', 'tool_error'],
    ['start', 'refuses', undefined, undefined],
    ['end', 'refuses', 'failed', String(ErrorCode.InvalidParams)]
  ])
})

test('definitions: taskSupport and task options are checked at registration', () => {
  const mcp = server()
  const handler = () => ({ content: [] })
  assert.throws(() => mcp.tool({ name: 'a', taskSupport: 'maybe' as 'optional', handler }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.tool({ name: 'b', taskSupport: 'optional', task: { ttlMs: 0 }, handler }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
  assert.throws(() => mcp.tool({ name: 'c', taskSupport: 'optional', task: { start: 'later' as 'call' }, handler }), { code: 'FST_MCP_PROTOCOL_INVALID_DEFINITION' })
})

test('2025-11-25 (SEP-1686) from the same engine: execution.taskSupport, capabilities.tasks, params.task, its views; no other 2025 revision has tasks', async () => {
  const work = gate()
  const mcp = withTools(server(), work)
  const legacy = makeSession({ protocolVersion: '2025-11-25', clientCapabilities: { elicitation: {} } })
  const initialize = async (protocolVersion: string) => resultOf(await send(mcp, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'c', version: '1' } }, makeSession()))
  assert.deepEqual((await initialize('2025-11-25')).capabilities, { logging: {}, tools: { listChanged: true }, tasks: { cancel: {}, requests: { tools: { call: {} } } } })
  assert.equal('tasks' in ((await initialize('2025-06-18')).capabilities as object), false)
  assert.equal('tasks' in (resultOf(await send(mcp, 'server/discover', {}, client())).capabilities as object), false)
  const listed = (session: ClientSession) => send(mcp, 'tools/list', {}, session).then((response) => (resultOf(response).tools as Array<{ name: string, execution?: unknown }>))
  assert.deepEqual((await listed(legacy)).map((tool) => [tool.name, tool.execution]), [
    ['direct', undefined], ['job', { taskSupport: 'optional' }], ['must', { taskSupport: 'required' }], ['refuses', { taskSupport: 'required' }], ['asks', { taskSupport: 'required' }]
  ])
  assert.ok((await listed(client())).every((tool) => !('execution' in tool)))
  assert.ok((await listed(makeSession({ protocolVersion: '2025-06-18' }))).every((tool) => !('execution' in tool)))

  // A required tool without params.task: -32601; with it, a wrapped task.
  assert.equal(errorOf(await send(mcp, 'tools/call', { name: 'must', arguments: {} }, legacy)).code, ErrorCode.MethodNotFound)
  const created = resultOf(await send(mcp, 'tools/call', { name: 'must', arguments: {}, task: { ttl: 5000 } }, legacy))
  const task = created.task as Record<string, unknown>
  assert.deepEqual(Object.keys(created), ['task'])
  assert.equal(task.status, 'working')
  assert.equal(task.ttl, 5000)
  assert.equal(task.pollInterval, 1000)
  work.open()
  // A tool error is `failed` in this revision's view; tasks/result answers the result itself.
  let view: Record<string, unknown> = {}
  await until(async () => {
    view = resultOf(await send(mcp, 'tasks/get', { taskId: task.taskId }, legacy))
    return view.status !== 'working'
  }, 'the task to end')
  assert.equal(view.status, 'failed')
  const outcome = resultOf(await send(mcp, 'tasks/result', { taskId: task.taskId }, legacy))
  assert.equal(outcome.isError, true)
  assert.deepEqual(outcome._meta, { 'io.modelcontextprotocol/related-task': { taskId: task.taskId } })
  // A protocol error is the error of tasks/result.
  const failed = resultOf(await send(mcp, 'tools/call', { name: 'refuses', arguments: {}, task: {} }, legacy)).task as { taskId: string }
  assert.deepEqual(errorOf(await send(mcp, 'tasks/result', { taskId: failed.taskId }, legacy)), { code: ErrorCode.InvalidParams, message: 'No such report', data: { report: 7 } })
  // No tasks/update in this revision; no tasks at all in older ones.
  assert.equal(errorOf(await send(mcp, 'tasks/update', { taskId: task.taskId, inputResponses: {} }, legacy)).code, ErrorCode.MethodNotFound)
  assert.equal(errorOf(await send(mcp, 'tasks/get', { taskId: task.taskId }, makeSession({ protocolVersion: '2025-06-18' }))).code, ErrorCode.MethodNotFound)
  // The extension's client reads the same task (same principal: anonymous) in its own view.
  assert.equal((await poll(mcp, task.taskId)).status, 'completed')
})

test('a listen stream asking for task status without the extension is -32021; with it, nothing of it is honoured (clients poll)', async () => {
  const mcp = withTools(server())
  const refused = errorOf(await send(mcp, 'subscriptions/listen', { notifications: { taskIds: ['x'] } }, client({})))
  assert.equal(refused.code, ErrorCode.MissingRequiredClientCapability)
  const channel = makeChannel()
  const listening = send(mcp, 'subscriptions/listen', { notifications: { taskIds: ['x'], toolsListChanged: true } }, client(), channel)
  await until(() => channel.notifications().length === 1, 'the acknowledgement')
  assert.deepEqual((channel.notifications()[0]!.params as { notifications: unknown }).notifications, { toolsListChanged: true })
  mcp.closeSubscriptions()
  resultOf(await listening)
})
