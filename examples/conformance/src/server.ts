import { buildConformanceApp } from './app.ts'

const port = Number(process.env.PORT ?? 3001)
const host = process.env.HOST ?? '127.0.0.1'
// LOG_LEVEL=silent turns the logger off entirely (the benchmarks compare with a logger-less Fastify).
const level = process.env.LOG_LEVEL ?? 'warn'
// REDIS_URL: sessions, streams and the bus in Redis, so processes started alike form one cluster.
const redis = process.env.REDIS_URL
// REQUEST_STATE_KEY (32 bytes or more): the key that seals 2026-07-28 requestState, the same on
// every node of a cluster, so an input_required round trip may continue on any node.
const requestStateKey = process.env.REQUEST_STATE_KEY
const app = await buildConformanceApp({
  fastify: { logger: level === 'silent' ? false : { level } },
  session: redis === undefined || redis === '' ? {} : { redis },
  ...(requestStateKey === undefined || requestStateKey === '' ? {} : { requestState: { keys: [requestStateKey] } })
})
await app.listen({ port, host })
app.log.warn(`conformance fixture server listening on http://${host}:${port}/mcp`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
