import { buildApp } from './app.ts'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
// REDIS_URL: sessions, streams and the bus in Redis, so processes started alike form one cluster.
const redis = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
const app = await buildApp({ fastify: { logger: { level: process.env.LOG_LEVEL ?? 'info' } }, redis })
await app.listen({ port, host })
app.log.info(`MCP endpoint: http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/mcp`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
