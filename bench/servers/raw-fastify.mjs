// Baseline: a plain Fastify route that answers a tools/call of the echo tool
// with the same JSON-RPC body our MCP server returns, without any MCP machinery.
//
// ANSWER=sse (bench/corun.mjs): the same JSON-RPC answer as one SSE event
// (`event: message`, `data:` the JSON) on a text/event-stream response that then
// ends, written the way a plain Fastify app streams: the reply hijacked, the
// headers ours sends, one write.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
const sse = process.env.ANSWER === 'sse'

const answer = (body) => ({
  jsonrpc: '2.0',
  id: body?.id ?? null,
  result: { content: [{ type: 'text', text: body?.params?.arguments?.text }] }
})

app.post('/mcp', sse
  ? (request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no'
      })
      reply.raw.end(`event: message\ndata: ${JSON.stringify(answer(request.body))}\n\n`)
    }
  : async (request) => answer(request.body))

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
