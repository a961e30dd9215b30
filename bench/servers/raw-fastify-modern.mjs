// Baseline of the 2026-07-28 benchmark (bench/modern.mjs): plain Fastify routes with no MCP
// machinery (no envelope, header or schema checks, no registry), the ceiling of what a Fastify
// endpoint can do.
//
// - A `tools/call` of `echo` is answered with the same JSON our server returns (`resultType`,
//   `serverInfo` in `_meta`).
// - A `subscriptions/listen` (the `mcp-method` header says so) gets an SSE stream that stays
//   open, its acknowledgement first, like ours; a `tools/call` of `bench_add_tool` writes one
//   tagged `notifications/tools/list_changed` on every open stream. The floor of what a held
//   stream costs in a Fastify process.
//
// Run by bench/modern.mjs with an IPC channel: the message 'stats' is answered with the
// process's memory (after a full GC when --expose-gc is on) and the open streams.
// bench/modern-inject.mjs imports `build` (the app, not listening).
import Fastify from 'fastify'
import { HOST, isMain, memoryStats } from '../common.mjs'

const SERVER_INFO = { 'io.modelcontextprotocol/serverInfo': { name: 'mcp-fastify-bench', version: '1.0.0' } }
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId'

const streams = new Set()

function frame (message) {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`
}

export function build () {
  const app = Fastify({ logger: false })
  let added = 0
  app.post('/mcp', async (request, reply) => {
    const body = request.body
    if (request.headers['mcp-method'] === 'subscriptions/listen') {
      reply.hijack()
      const stream = { raw: reply.raw, id: body.id }
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' })
      reply.raw.write(frame({
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: body.id } }
      }))
      streams.add(stream)
      reply.raw.on('close', () => streams.delete(stream))
      return reply
    }
    if (body?.params?.name === 'bench_add_tool') {
      const name = `bench_tool_${++added}`
      for (const { raw, id } of streams) {
        raw.write(frame({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUBSCRIPTION_ID]: id } } }))
      }
      return { jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: name }], resultType: 'complete', _meta: SERVER_INFO } }
    }
    return {
      jsonrpc: '2.0',
      id: body?.id ?? null,
      result: { content: [{ type: 'text', text: body?.params?.arguments?.text }], resultType: 'complete', _meta: SERVER_INFO }
    }
  })
  return app
}

if (isMain(import.meta.url)) {
  const app = build()
  process.on('message', (message) => {
    if (message === 'stats') process.send({ ...memoryStats(), listening: streams.size })
  })
  // Held streams would keep app.close() waiting: a baseline just exits.
  for (const signal of ['SIGINT', 'SIGTERM', 'disconnect']) process.once(signal, () => process.exit(0))
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: HOST })
}
