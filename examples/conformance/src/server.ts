import { buildConformanceApp } from './app.ts'

const port = Number(process.env.PORT ?? 3001)
const host = process.env.HOST ?? '127.0.0.1'
const app = await buildConformanceApp({ fastify: { logger: { level: process.env.LOG_LEVEL ?? 'warn' } } })
await app.listen({ port, host })
app.log.warn(`conformance fixture server listening on http://${host}:${port}/mcp`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
