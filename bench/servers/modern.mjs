// Ours, for the 2026-07-28 benchmark (bench/modern.mjs): the conformance fixture's tools
// (examples/conformance: `echo`, the MRTR tools...) on mcp-transport, as a stateless deployment
// has it, or with mcp-session registered too (as a dual-era deployment has it), plus
// `bench_add_tool`: each call registers one more tool, so every listen stream hears one
// `notifications/tools/list_changed`.
//
//   node --expose-gc bench/servers/modern.mjs stateless|sessions
//
// Run by bench/modern.mjs with an IPC channel: the message 'stats' is answered with the
// process's memory (after a full GC when --expose-gc is on) and the open listen streams.
// bench/modern-inject.mjs imports `build` (the app, not listening).
import { channel } from 'node:diagnostics_channel'
import { declareFixtures } from '@mcp-fastify/example-conformance'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import Fastify from 'fastify'
import { HOST, isMain, memoryStats } from '../common.mjs'

/** The app: mcp-transport (and mcp-session when `mode` is 'sessions'), the fixture's tools, `bench_add_tool`. */
export async function build (mode) {
  const app = Fastify({ logger: false })
  if (mode === 'sessions') await app.register(mcpSession)
  await app.register(mcpTransport, { path: '/mcp', serverInfo: { name: 'mcp-fastify-bench', version: '1.0.0' } })
  declareFixtures(app.mcp)
  let added = 0
  app.mcp.tool({
    name: 'bench_add_tool',
    description: 'Registers one more tool: listen streams hear tools/list_changed',
    handler: () => {
      const name = `bench_tool_${++added}`
      app.mcp.tool({ name, description: 'Added by bench_add_tool', handler: () => ({ content: [{ type: 'text', text: name }] }) })
      return { content: [{ type: 'text', text: name }] }
    }
  })
  return app
}

if (isMain(import.meta.url)) {
  const mode = process.argv[2]
  if (mode !== 'stateless' && mode !== 'sessions') {
    process.stderr.write('usage: node bench/servers/modern.mjs stateless|sessions\n')
    process.exit(2)
  }
  // Open listen streams, as the transport reports them (mcp-fastify:sse:open / close).
  let listening = 0
  channel('mcp-fastify:sse:open').subscribe((event) => { if (event.kind === 'listen') listening++ })
  channel('mcp-fastify:sse:close').subscribe((event) => { if (event.kind === 'listen') listening-- })
  const app = await build(mode)
  process.on('message', (message) => {
    if (message === 'stats') process.send({ ...memoryStats(), listening })
  })
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
  }
  process.once('disconnect', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: HOST })
}
