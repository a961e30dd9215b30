// One node of the fault suite's cluster, run as a child process by harness.ts: the main example
// (notes, with mcp-metrics' /ready and mcp-session on REDIS_URL), built (dist), plus tools whose
// pace the tests set, and the shutdown the main example's server does (not ready, a grace for the
// balancer, close). It prints `ready <port>` on stdout once it listens.
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from '@mcp-fastify/example-main'
import { Type } from '@sinclair/typebox'
import closeWithGrace from 'close-with-grace'

const port = Number(process.env.PORT ?? 0)
const graceMs = Number(process.env.SHUTDOWN_GRACE_MS ?? 1000)
const app = await buildApp({ fastify: { logger: { level: process.env.LOG_LEVEL ?? 'warn' } }, redis: process.env.REDIS_URL })

app.mcp.tool({
  name: 'slow',
  description: 'Reports progress `steps` times, `ms` apart (the message names this process), then answers; with `poll`, ends its connection after the first step (SSE polling) and the client comes back after `poll` ms',
  inputSchema: Type.Object({
    steps: Type.Integer({ minimum: 1 }),
    ms: Type.Integer({ minimum: 0 }),
    poll: Type.Optional(Type.Integer({ minimum: 1 }))
  }),
  handler: async ({ steps, ms, poll }, ctx) => {
    for (let step = 1; step <= steps; step++) {
      await ctx.progress(step, steps, `pid ${process.pid}`)
      if (step === 1 && poll !== undefined) ctx.closeStream(poll)
      if (step < steps) await sleep(ms, undefined, { signal: ctx.signal })
    }
    return { content: [{ type: 'text', text: `${steps} steps by pid ${process.pid}` }] }
  }
})
app.mcp.tool({
  name: 'whoami',
  description: 'The process that answers',
  handler: () => ({ content: [{ type: 'text', text: String(process.pid) }] })
})

closeWithGrace({ delay: graceMs + 15_000, logger: app.log }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  app.mcpMetrics.notReady()
  if (signal === 'SIGTERM') await sleep(graceMs)
  await app.close()
})

await app.listen({ port, host: '127.0.0.1' })
process.stdout.write(`ready ${app.server.address().port}\n`)
