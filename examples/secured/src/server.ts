import { buildSecuredApp, startDevAuthorizationServer, ADMIN_SCOPE, TOOLS_SCOPE } from './app.ts'

/**
 * `pnpm run serve:secured`: with no environment, the app and a local development authorization
 * server (on PORT + 1); with OAUTH_ISSUER (and PUBLIC_URL), the app alone, trusting that issuer.
 */
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}/mcp`
const outsideIssuer = process.env.OAUTH_ISSUER

const dev = outsideIssuer === undefined
  ? await startDevAuthorizationServer({
    port: Number(process.env.AS_PORT ?? port + 1),
    resources: [publicUrl],
    scopes: [TOOLS_SCOPE, ADMIN_SCOPE],
    clients: [{ clientId: 'dev-client', clientSecret: 'dev-secret' }]
  })
  : undefined
const issuer = outsideIssuer ?? dev!.issuer

const app = await buildSecuredApp({ issuer, publicUrl, fastify: { logger: { level: process.env.LOG_LEVEL ?? 'info' } } })
app.addHook('onClose', async () => { await dev?.close() })
await app.listen({ port, host })
app.log.info({ issuer, resource: publicUrl }, `MCP endpoint: ${publicUrl} (protected by ${dev === undefined ? 'the issuer ' + issuer : 'the development authorization server ' + issuer})`)
if (dev !== undefined) {
  app.log.info(`Get a token: curl -s -u dev-client:dev-secret -d grant_type=client_credentials -d "scope=${TOOLS_SCOPE} ${ADMIN_SCOPE}" -d resource=${publicUrl} ${issuer}/token`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
}
