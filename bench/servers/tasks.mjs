// Ours, for the tasks benchmark (bench/tasks.mjs): mcp-transport at 2026-07-28 with a tool that
// runs as a task and finishes at once (`instant`), and `echo`, a direct tool, for the baseline.
// Tasks in this process's memory (`memory`), or in Redis through mcp-session (`redis`: REDIS_URL,
// under KEY_PREFIX).
//
//   node bench/servers/tasks.mjs memory|redis
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import Fastify from 'fastify'
import { HOST } from '../common.mjs'

const store = process.argv[2]
if (store !== 'memory' && store !== 'redis') {
  process.stderr.write('usage: node bench/servers/tasks.mjs memory|redis\n')
  process.exit(2)
}

const app = Fastify({ logger: false })
if (store === 'redis') await app.register(mcpSession, { redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix: process.env.KEY_PREFIX ?? 'bench:' })
// The bound per principal is for abuse, not for a benchmark's one anonymous client.
await app.register(mcpTransport, { path: '/mcp', serverInfo: { name: 'mcp-fastify-bench', version: '1.0.0' }, tasks: { maxPerPrincipal: 1_000_000 } })
app.mcp.tool({
  name: 'echo',
  description: 'Answers with the text it is given',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  handler: ({ text }) => ({ content: [{ type: 'text', text }] })
})
app.mcp.tool({
  name: 'instant',
  description: 'A task that is done at once',
  taskSupport: 'required',
  // Kept a minute: a benchmark creates many.
  task: { ttlMs: 60_000 },
  handler: () => ({ content: [{ type: 'text', text: 'done' }] })
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
process.once('disconnect', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })

await app.listen({ port: Number(process.env.PORT ?? 3000), host: HOST })
