import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createConnection } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { createRoundRobinProxy } from './proxy.ts'

// One command, one cluster: NODES processes of an example app sharing REDIS_URL, on the ports
// after PORT, and a round-robin proxy on PORT that spreads every request over them.
const { values } = parseArgs({ options: { app: { type: 'string', default: 'main' }, nodes: { type: 'string', default: '2' } } })
const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const count = Number(values.nodes)
const require = createRequire(import.meta.url)
const packages: Record<string, string> = { main: '@mcp-fastify/example-main', conformance: '@mcp-fastify/example-conformance' }
const name = packages[values.app ?? 'main']
if (name === undefined) throw new Error(`--app is main or conformance, not ${values.app}`)
const server = join(dirname(require.resolve(`${name}/package.json`)), 'dist', 'server.js')

async function listening (nodePort: number): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: nodePort }, () => { socket.end(); resolve(true) })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`node on port ${nodePort} did not start`)
}

const nodes: ChildProcess[] = []
const stop = (): void => { for (const node of nodes) node.kill('SIGTERM') }
process.once('SIGINT', () => { stop(); process.exit(0) })
process.once('SIGTERM', () => { stop(); process.exit(0) })

const targets: URL[] = []
for (let i = 1; i <= count; i++) {
  const nodePort = port + i
  nodes.push(spawn(process.execPath, [server], {
    env: { ...process.env, PORT: String(nodePort), HOST: '127.0.0.1', REDIS_URL: redis },
    stdio: ['ignore', 'inherit', 'inherit']
  }))
  targets.push(new URL(`http://127.0.0.1:${nodePort}`))
}
for (const node of nodes) node.once('exit', (code) => { if (code !== 0 && code !== null) { stop(); process.exit(1) } })
await Promise.all(targets.map((target) => listening(Number(target.port))))
// The notes server has mcp-metrics' /ready: the proxy follows it, so a node that shuts down
// (SIGTERM: not ready first, then drains) gets no new request (see the README: rolling restarts).
const proxy = createRoundRobinProxy(targets, values.app === 'main' ? { readyPath: '/ready' } : {})
proxy.listen(port, host)
await once(proxy, 'listening')
process.stderr.write(`cluster: ${count} nodes (${targets.map((target) => target.port).join(', ')}) sharing ${redis}, round-robin proxy on http://${host}:${port}/mcp\n`)
