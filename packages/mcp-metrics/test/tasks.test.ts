import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ErrorCode, McpError, MemoryTaskStore, type McpServer } from '@mcp-fastify/mcp-protocol'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { FastifyInstance } from 'fastify'
import { buildApp, post, rpc, scrape } from './helpers.ts'

const TASKS = 'io.modelcontextprotocol/tasks'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())

function declareTaskTools (mcp: McpServer): void {
  mcp.tool({ name: 'job', taskSupport: 'required', handler: () => ({ content: [{ type: 'text', text: 'done' }] }) })
  mcp.tool({ name: 'flaky', taskSupport: 'required', handler: () => ({ content: [{ type: 'text', text: 'no luck' }], isError: true }) })
  mcp.tool({ name: 'broken', taskSupport: 'required', handler: () => { throw new McpError(ErrorCode.InvalidParams, 'No such report') } })
}

/** One 2026-07-28 request: its envelope declares the tasks extension, its headers mirror the body. */
async function modern (app: FastifyInstance, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const name = method === 'tools/call' ? params.name : params.taskId
  const response = await post(app, rpc(1, method, {
    ...params,
    _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { extensions: { [TASKS]: {} } } }
  }), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(typeof name === 'string' ? { 'mcp-name': name } : {}) })
  const body = response.json() as { result?: Record<string, unknown>, error?: unknown }
  assert.ok(body.result !== undefined, response.body)
  return body.result
}

async function run (app: FastifyInstance, tool: string): Promise<string> {
  const created = await modern(app, 'tools/call', { name: tool, arguments: {} })
  assert.equal(created.resultType, 'task')
  for (let i = 0; i < 200; i++) {
    const task = await modern(app, 'tasks/get', { taskId: created.taskId })
    if (!['working', 'input_required'].includes(task.status as string)) return task.status as string
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`task of ${tool} did not end`)
}

test('tasks: created by tool, finished by tool, status and error type, their duration, none left running', async (t) => {
  const app = await buildApp(t, { sessions: false, declare: declareTaskTools })
  assert.equal(await run(app, 'job'), 'completed')
  assert.equal(await run(app, 'job'), 'completed')
  assert.equal(await run(app, 'flaky'), 'completed')
  assert.equal(await run(app, 'broken'), 'failed')
  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_tasks_created_total', { gen_ai_tool_name: 'job' }), 2)
  assert.equal(metrics.value('mcp_server_tasks_created_total', { gen_ai_tool_name: 'broken' }), 1)
  assert.deepEqual(metrics.labelSets('mcp_server_tasks_finished_total'), [
    'error_type=,gen_ai_tool_name=job,status=completed',
    'error_type=-32602,gen_ai_tool_name=broken,status=failed',
    'error_type=tool_error,gen_ai_tool_name=flaky,status=completed'
  ])
  assert.equal(metrics.value('mcp_server_tasks_finished_total', { gen_ai_tool_name: 'job', status: 'completed', error_type: '' }), 2)
  assert.equal(metrics.value('mcp_server_task_duration_seconds_count', { gen_ai_tool_name: 'job', status: 'completed' }), 2)
  assert.equal(metrics.value('mcp_server_tasks_running'), 0)
})

test('a task of a dead node, failed here, is counted as finished (node_gone), without a duration', async (t) => {
  const store = new MemoryTaskStore()
  const app = await buildApp(t, { sessions: false, transport: { tasks: { store } }, declare: declareTaskTools })
  const now = Date.now()
  await store.create({
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
  }, 10)
  assert.equal((await modern(app, 'tasks/get', { taskId: 'orphan-task-0000000000' })).status, 'failed')
  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_tasks_finished_total', { gen_ai_tool_name: 'job', status: 'failed', error_type: 'node_gone' }), 1)
  assert.equal(metrics.series('mcp_server_task_duration_seconds_count').length, 0)
})

function installSdk (t: TestContext): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
  t.after(async () => {
    trace.disable()
    await provider.shutdown()
  })
  return exporter
}

test('a span per task, of its own trace, linked to the tools/call that created it; failed tasks are errors', async (t) => {
  const exporter = installSdk(t)
  const app = await buildApp(t, { sessions: false, declare: declareTaskTools })
  await run(app, 'job')
  await run(app, 'broken')
  const spans = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === '@mcp-fastify/mcp-metrics')
  const call = spans.find((span) => span.name === 'tools/call job')!
  const task = spans.find((span) => span.name === 'tools/call job (task)')!
  assert.ok(call !== undefined && task !== undefined, spans.map((span) => span.name).join(', '))
  assert.equal(task.kind, SpanKind.INTERNAL)
  assert.notEqual(task.spanContext().traceId, call.spanContext().traceId)
  assert.deepEqual(task.links.map((link) => link.context.spanId), [call.spanContext().spanId])
  assert.equal(task.attributes['gen_ai.tool.name'], 'job')
  assert.equal(task.attributes['mcp.task.status'], 'completed')
  assert.equal(typeof task.attributes['mcp.task.id'], 'string')
  assert.equal(task.status.code, SpanStatusCode.UNSET)
  const failed = spans.find((span) => span.name === 'tools/call broken (task)')!
  assert.equal(failed.attributes['error.type'], '-32602')
  assert.equal(failed.status.code, SpanStatusCode.ERROR)
})
