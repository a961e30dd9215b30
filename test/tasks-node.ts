// One node of the tasks end-to-end test (tasks-cluster.test.ts), run as a child process
// with tsx: mcp-session on REDIS_URL under KEY_PREFIX, mcp-transport with short task leases, a
// principal from the `x-test-principal` header (what an auth plugin would set), and tools whose
// tasks the test drives. It prints `ready <port>` once it listens.
import { setTimeout as sleep } from 'node:timers/promises'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Type } from '@sinclair/typebox'
import Fastify from 'fastify'

const app = Fastify({ logger: { level: 'warn' } })
app.addHook('onRequest', async (request) => {
  const principal = request.headers['x-test-principal']
  if (typeof principal === 'string') request.mcpPrincipal = principal
})
await app.register(mcpSession, { redis: process.env.REDIS_URL!, keyPrefix: process.env.KEY_PREFIX! })
await app.register(mcpTransport, {
  serverInfo: { name: 'tasks-node', version: '1.0.0' },
  // A dead node's tasks fail within a second and a half of its death.
  tasks: { leaseMs: 1500, sweepIntervalMs: 500, pollIntervalMs: 100 },
  drainTimeoutMs: 500
})
app.get('/running', async () => ({ running: app.mcp.runningTasks }))

app.mcp.tool({
  name: 'ask',
  description: 'Asks a name, then greets it, saying which process ran it',
  taskSupport: 'required',
  handler: async (_args, ctx) => {
    const answer = await ctx.elicit({
      message: 'Your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
    }, { key: 'name' })
    return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)}, from pid ${process.pid}` }] }
  }
})
app.mcp.tool({
  name: 'hold',
  description: 'Reports progress, then works until cancelled',
  inputSchema: Type.Object({}),
  taskSupport: 'required',
  handler: async (_args, ctx) => {
    await ctx.progress(1, 2, `working in pid ${process.pid}`)
    await sleep(3_600_000, undefined, { signal: ctx.signal })
    return { content: [{ type: 'text', text: 'never' }] }
  }
})

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
