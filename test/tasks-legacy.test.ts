// The experimental tasks of 2025-11-25 (SEP-1686), served from the same engine and store as the
// tasks extension, as the official SDK v1 client (1.32.2) uses them: a tool listed with
// execution.taskSupport, called with params.task, polled, its question relayed by tasks/result
// as an elicitation request, its result fetched with tasks/result; a task cancelled.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { CallToolResultSchema, ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js'
import Fastify from 'fastify'
import { connectStreamable, serve, type Served } from './helpers.ts'

async function server (t: TestContext): Promise<Served> {
  const app = Fastify()
  await app.register(mcpSession)
  await app.register(mcpTransport, { serverInfo: { name: 'legacy-tasks', version: '1.0.0' }, tasks: { pollIntervalMs: 50 } })
  app.mcp.tool({
    name: 'report',
    description: 'Asks whether to include drafts, then reports',
    taskSupport: 'optional',
    handler: async (_args, ctx) => {
      await ctx.progress(1, 2, 'asking')
      const answer = await ctx.elicit({ message: 'Include drafts?', requestedSchema: { type: 'object', properties: { drafts: { type: 'boolean' } } } }, { key: 'drafts' })
      return { content: [{ type: 'text', text: `report (drafts: ${String(answer.content?.drafts)}, task: ${ctx.taskId === undefined ? 'no' : 'yes'})` }] }
    }
  })
  app.mcp.tool({
    name: 'forever',
    description: 'Works until cancelled',
    taskSupport: 'required',
    handler: (_args, ctx) => new Promise<{ content: [] }>((_resolve, reject) => { ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))) })
  })
  return serve(t, app)
}

test('2025-11-25: a task through the SDK v1 experimental client, its question relayed by tasks/result', async (t) => {
  const served = await server(t)
  const asked: ElicitRequest[] = []
  const { client } = await connectStreamable(served, {
    capabilities: { elicitation: {} },
    setup: (c) => c.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request)
      return { action: 'accept', content: { drafts: true } }
    })
  })
  assert.deepEqual(client.getServerCapabilities()?.tasks, { cancel: {}, requests: { tools: { call: {} } } })
  assert.equal(client.getServerCapabilities()?.extensions, undefined)
  const { tools } = await client.listTools()
  assert.deepEqual(tools.map((tool) => [tool.name, tool.execution?.taskSupport]), [['report', 'optional'], ['forever', 'required']])

  const kinds: string[] = []
  let result: unknown
  for await (const message of client.experimental.tasks.callToolStream({ name: 'report', arguments: {} }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
    kinds.push(message.type)
    if (message.type === 'taskCreated') assert.equal(message.task.ttl, 60_000)
    if (message.type === 'result') result = message.result
    if (message.type === 'error') assert.fail(String(message.error))
  }
  assert.equal(kinds[0], 'taskCreated')
  assert.equal(kinds.at(-1), 'result')
  assert.deepEqual((result as { content: unknown }).content, [{ type: 'text', text: 'report (drafts: true, task: yes)' }])
  const taskId = (result as { _meta: Record<string, { taskId: string }> })._meta['io.modelcontextprotocol/related-task']!.taskId
  assert.equal(asked.length, 1)
  assert.deepEqual(asked[0]!.params._meta, { 'io.modelcontextprotocol/related-task': { taskId } })
  const task = await client.experimental.tasks.getTask(taskId)
  assert.equal(task.status, 'completed')
  assert.equal(task.statusMessage, 'asking')

  // Without params.task the same tool answers directly (its question as a plain request).
  const direct = await client.callTool({ name: 'report', arguments: {} })
  assert.deepEqual(direct.content, [{ type: 'text', text: 'report (drafts: true, task: no)' }])
})

test('2025-11-25: tasks/cancel answers the cancelled task, then -32602; a task-only tool refuses a plain call with -32601', async (t) => {
  const served = await server(t)
  const { client } = await connectStreamable(served, { capabilities: {} })
  await client.listTools()
  const stream = client.experimental.tasks.callToolStream({ name: 'forever', arguments: {} }, CallToolResultSchema, { task: {} })
  const first = await stream.next()
  assert.equal(first.value?.type, 'taskCreated')
  const taskId = first.value.type === 'taskCreated' ? first.value.task.taskId : ''
  await stream.return(undefined)
  const cancelled = await client.experimental.tasks.cancelTask(taskId)
  assert.equal(cancelled.status, 'cancelled')
  await assert.rejects(client.experimental.tasks.cancelTask(taskId), { code: -32602 })
  await assert.rejects(client.request({ method: 'tools/call', params: { name: 'forever', arguments: {} } }, CallToolResultSchema), { code: -32601 })
  await assert.rejects(client.experimental.tasks.getTask('no-such-task'), { code: -32602 })
})
