import closeWithGrace from 'close-with-grace'
import { buildConformanceApp, type ConformanceAppOptions } from './app.ts'

const port = Number(process.env.PORT ?? 3001)
const host = process.env.HOST ?? '127.0.0.1'
// LOG_LEVEL=silent turns the logger off entirely (the benchmarks compare with a logger-less Fastify).
const level = process.env.LOG_LEVEL ?? 'warn'
// REDIS_URL: sessions, streams and the bus in Redis, so processes started alike form one cluster.
const redis = process.env.REDIS_URL
// REQUEST_STATE_KEY (32 bytes or more): the key that seals 2026-07-28 requestState, the same on
// every node of a cluster, so an input_required round trip may continue on any node.
const requestStateKey = process.env.REQUEST_STATE_KEY
// RESPONSE_MODE (auto, json or sse; mcp-transport's options check it): how requests are answered;
// sse makes every answer an SSE stream (bench/corun.mjs measures that path).
const responseMode = process.env.RESPONSE_MODE as ConformanceAppOptions['responseMode'] | ''
const app = await buildConformanceApp({
  fastify: { logger: level === 'silent' ? false : { level } },
  session: redis === undefined || redis === '' ? {} : { redis },
  ...(requestStateKey === undefined || requestStateKey === '' ? {} : { requestState: { keys: [requestStateKey] } }),
  ...(responseMode === undefined || responseMode === '' ? {} : { responseMode })
})
await app.listen({ port, host })
app.log.warn(`conformance fixture server listening on http://${host}:${port}/mcp`)

// SIGINT, SIGTERM: close (SSE streams end with a retry hint, calls in flight drain), then exit; a
// second signal, or closing past `delay`, exits at once. This server has no /ready (no
// mcp-metrics), so no grace delay: see examples/main/src/server.ts for a node behind a balancer.
closeWithGrace({ delay: 15_000, logger: app.log }, async ({ err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
  await app.close()
})
