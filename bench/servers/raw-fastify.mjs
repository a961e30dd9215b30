// Baseline: a plain Fastify route that answers a tools/call of the echo tool
// with the same JSON-RPC body our MCP server returns, without any MCP machinery.
import Fastify from 'fastify'

const app = Fastify({ logger: false })

app.post('/mcp', async (request) => {
  const body = request.body
  return {
    jsonrpc: '2.0',
    id: body?.id ?? null,
    result: { content: [{ type: 'text', text: body?.params?.arguments?.text }] }
  }
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
