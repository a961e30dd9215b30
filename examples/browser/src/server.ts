import { buildBrowserApp, INSPECTOR_ORIGINS } from './app.ts'

/**
 * `pnpm run serve:browser`: the endpoint on http://HOST:PORT/mcp, usable from pages on
 * ALLOWED_ORIGINS (comma-separated; by default the MCP Inspector's web UI).
 */
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const origins = process.env.ALLOWED_ORIGINS === undefined
  ? INSPECTOR_ORIGINS
  : process.env.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '')

const app = await buildBrowserApp({ origins, fastify: { logger: { level: process.env.LOG_LEVEL ?? 'info' } } })
await app.listen({ port, host })
app.log.info({ origins }, `MCP endpoint: http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/mcp, for pages on ${origins.join(', ')}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
