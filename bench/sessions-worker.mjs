// Run by bench/sessions.mjs with --expose-gc, one process per measurement: builds the fixture
// app (memory or Redis store), creates COUNT sessions through real `initialize` requests
// (app.inject, no sockets), and reports the memory the idle sessions hold.
import { buildConformanceApp } from '@mcp-fastify/example-conformance'

const [store, countArg, prefix] = process.argv.slice(2)
const count = Number(countArg)
const session = store === 'redis' ? { redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379', keyPrefix: prefix, maxSessions: count + 10 } : { maxSessions: count + 10 }
const app = await buildConformanceApp({ fastify: { logger: false }, session })
await app.ready()

const body = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'bench', version: '1.0.0' } } })
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
const initialize = async () => {
  const response = await app.inject({ method: 'POST', url: '/mcp', headers, payload: body })
  if (response.statusCode !== 200) throw new Error(`initialize: ${response.statusCode} ${response.body}`)
}
await initialize() // warm the code paths before measuring

const settle = () => { for (let i = 0; i < 3; i++) globalThis.gc() }
settle()
const before = process.memoryUsage()
const started = process.hrtime.bigint()
for (let done = 0; done < count; done += 100) {
  await Promise.all(Array.from({ length: Math.min(100, count - done) }, initialize))
}
const createMs = Number(process.hrtime.bigint() - started) / 1e6
settle()
const after = process.memoryUsage()
process.send?.({
  store,
  count,
  createMs,
  rssPerSession: (after.rss - before.rss) / count,
  heapPerSession: (after.heapUsed - before.heapUsed) / count,
  rssTotal: after.rss,
  heldHere: app.mcpSessions.size
})
await app.close()
