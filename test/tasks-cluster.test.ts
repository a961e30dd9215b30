import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { redisOrSkip, waitFor } from '../packages/mcp-session/test/redis-helpers.ts'

// Tasks (the MCP tasks extension) across two nodes sharing Redis, over raw HTTP: the official
// SDK v2 client throws on `resultType: 'task'`, so this test speaks the wire itself. The nodes are
// child processes (tasks-node.ts), so one can be killed mid-task.

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.join(here, '..')
const TASKS = 'io.modelcontextprotocol/tasks'

interface Node {
  base: string
  process: ChildProcess
}

async function startNode (t: TestContext, redisUrl: string, prefix: string): Promise<Node> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(here, 'tasks-node.ts')], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: redisUrl, KEY_PREFIX: prefix }
  })
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  })
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += String(chunk)
      const ready = /ready (\d+)/.exec(output)
      if (ready !== null) resolve(Number(ready[1]))
    })
    child.stderr!.on('data', (chunk: Buffer) => { output += String(chunk) })
    child.once('exit', (code, signal) => reject(new Error(`the node exited (${code ?? signal}) before it listened:\n${output}`)))
  })
  return { base: `http://127.0.0.1:${port}`, process: child }
}

let nextId = 1

/** One 2026-07-28 request, with its envelope and mirrored headers; the parsed JSON-RPC answer. */
async function rpc (node: Node, method: string, params: Record<string, unknown>, { principal, tasks = true }: { principal?: string, tasks?: boolean } = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, ...(tasks ? { extensions: { [TASKS]: {} } } : {}) }
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method
  }
  const name = method === 'tools/call' ? params.name : method.startsWith('tasks/') ? params.taskId : undefined
  if (typeof name === 'string') headers['mcp-name'] = name
  if (principal !== undefined) headers['x-test-principal'] = principal
  const response = await request(`${node.base}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: envelope } })
  })
  return { status: response.statusCode, body: await response.body.json() as Record<string, unknown> }
}

async function result (node: Node, method: string, params: Record<string, unknown>, principal?: string): Promise<Record<string, unknown>> {
  const { body } = await rpc(node, method, params, { principal })
  assert.ok('result' in body, `${method}: ${JSON.stringify(body)}`)
  return body.result as Record<string, unknown>
}

async function poll (node: Node, taskId: unknown, principal: string, until: (task: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  let task: Record<string, unknown> = {}
  await waitFor(async () => {
    task = await result(node, 'tasks/get', { taskId }, principal)
    return until(task)
  }, 10_000, what, 50)
  return task
}

test('tasks across two nodes: created on one, polled, fed and cancelled on the other; its node killed, it fails; another principal finds nothing', async (t) => {
  const redis = await redisOrSkip(t)
  if (redis === undefined) return
  const [a, b] = await Promise.all([startNode(t, redis.url, redis.prefix), startNode(t, redis.url, redis.prefix)])
  const pidA = a.process.pid

  await t.test('the extension is advertised', async () => {
    const discovered = await result(b, 'server/discover', {})
    assert.deepEqual((discovered.capabilities as { extensions?: unknown }).extensions, { [TASKS]: {} })
  })

  await t.test('created on a, its question read and answered on b, completed on a', async () => {
    const created = await result(a, 'tools/call', { name: 'ask', arguments: {} }, 'alice')
    assert.equal(created.resultType, 'task')
    assert.equal(created.status, 'working')
    // Durable creation: the other node finds it at once.
    assert.equal((await result(b, 'tasks/get', { taskId: created.taskId }, 'alice')).taskId, created.taskId)
    const waiting = await poll(b, created.taskId, 'alice', (task) => task.status === 'input_required', 'the question, on b')
    assert.deepEqual(Object.keys(waiting.inputRequests as object), ['name'])
    assert.equal((await result(b, 'tasks/update', { taskId: created.taskId, inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } } }, 'alice')).resultType, 'complete')
    const done = await poll(b, created.taskId, 'alice', (task) => task.status === 'completed', 'the task to complete')
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: `Hello, Ada, from pid ${pidA}` }])
  })

  await t.test('cancelled on b: cancelled at once, its handler on a stopped', async () => {
    const created = await result(a, 'tools/call', { name: 'hold', arguments: {} }, 'alice')
    const working = await poll(b, created.taskId, 'alice', (task) => task.statusMessage !== undefined, 'its progress, on b')
    assert.equal(working.status, 'working')
    assert.equal(working.statusMessage, `working in pid ${pidA}`)
    await result(b, 'tasks/cancel', { taskId: created.taskId }, 'alice')
    assert.equal((await result(b, 'tasks/get', { taskId: created.taskId }, 'alice')).status, 'cancelled')
    await waitFor(async () => (await (await request(`${a.base}/running`)).body.json() as { running: number }).running === 0, 10_000, 'the handler on a to stop')
    assert.equal((await result(a, 'tasks/get', { taskId: created.taskId }, 'alice')).status, 'cancelled')
  })

  await t.test('another principal, or none, gets what an unknown id gets: -32602', async () => {
    const created = await result(a, 'tools/call', { name: 'hold', arguments: {} }, 'alice')
    const unknown = await rpc(b, 'tasks/get', { taskId: 'AAAAAAAAAAAAAAAAAAAAAA' }, { principal: 'alice' })
    assert.equal((unknown.body.error as { code: number }).code, -32602)
    for (const principal of ['mallory', undefined]) {
      for (const [method, params] of [
        ['tasks/get', { taskId: created.taskId }],
        ['tasks/update', { taskId: created.taskId, inputResponses: {} }],
        ['tasks/cancel', { taskId: created.taskId }]
      ] as const) {
        const refused = await rpc(b, method, params, { principal })
        assert.deepEqual({ ...refused.body, id: undefined }, { ...unknown.body, id: undefined }, `${method} as ${principal ?? 'anonymous'}`)
      }
    }
    assert.equal((await result(b, 'tasks/get', { taskId: created.taskId }, 'alice')).status, 'working')
    await result(b, 'tasks/cancel', { taskId: created.taskId }, 'alice')
  })

  await t.test('without the extension: -32021 on 400', async () => {
    const refused = await rpc(b, 'tools/call', { name: 'hold', arguments: {} }, { principal: 'alice', tasks: false })
    assert.equal(refused.status, 400)
    assert.deepEqual(refused.body.error, {
      code: -32021,
      message: `Missing required client capability: the ${TASKS} extension`,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } }
    })
  })

  await t.test('a is killed mid-task: b reports the task failed, saying its node went away', async () => {
    const created = await result(a, 'tools/call', { name: 'hold', arguments: {} }, 'alice')
    await poll(b, created.taskId, 'alice', (task) => task.statusMessage !== undefined, 'the task to run')
    const exited = once(a.process, 'exit')
    a.process.kill('SIGKILL')
    await exited
    const failed = await poll(b, created.taskId, 'alice', (task) => task.status !== 'working', 'the task to fail')
    assert.equal(failed.status, 'failed')
    assert.deepEqual(failed.error, {
      code: -32603,
      message: 'The server node running this task stopped before it finished; the task did not complete',
      data: { reason: 'node_gone' }
    })
  })
})
