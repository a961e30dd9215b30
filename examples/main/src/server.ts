import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
// REDIS_URL: sessions, streams and the bus in Redis, so processes started alike form one cluster.
const redis = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const app = await buildApp({ fastify: { logger: { level: process.env.LOG_LEVEL ?? 'info' } }, redis })
await app.listen({ port, host })
app.log.info(`MCP endpoint: http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/mcp`)

// Shutting down behind a load balancer that follows /ready (mcp-metrics README, "Shutting down"):
// on SIGTERM (what orchestrators send), /ready turns 503 at once and everything is still served
// for SHUTDOWN_GRACE_MS, long enough for the balancer to notice (its health-check interval times
// the failures it needs) and stop sending requests here; then the app closes: SSE streams end with
// a retry hint (clients resume on another node), calls in flight get drainTimeoutMs (10 s) to
// finish. SIGINT (Ctrl-C in a terminal) closes at once. A second signal, or the whole taking past
// `delay`, exits at once.
const graceMs = Number(process.env.SHUTDOWN_GRACE_MS ?? 5000)
closeWithGrace({ delay: graceMs + 15_000, logger: app.log }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  app.mcpMetrics.notReady()
  if (signal === 'SIGTERM') await sleep(graceMs)
  await app.close()
})
