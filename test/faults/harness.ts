// What the fault suite starts and breaks: a Redis of its own on a free port, nodes of the main
// example as child processes (test/faults/node.mjs, from the build: run `pnpm run build` first),
// the cluster example's round-robin proxy following /ready, and clients. Every process is started
// in a process group of its own and killed, group and all, when the test ends, whatever happened.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createRoundRobinProxy } from '@mcp-fastify/example-cluster'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { Redis } from 'ioredis'
import { request } from 'undici'

const here = path.dirname(fileURLToPath(import.meta.url))
const NODE_FILE = path.join(here, 'node.mjs')
const BUILT = path.join(here, '..', '..', 'examples', 'main', 'dist', 'app.js')

/** How often the proxy asks each node's /ready; nodes wait a few of these before they close. */
export const CHECK_MS = 200
export const GRACE_MS = 5 * CHECK_MS

const groups = new Set<ChildProcess>()
process.on('exit', () => { for (const child of groups) killGroup(child, 'SIGKILL') })

function running (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function killGroup (child: ChildProcess, signal: NodeJS.Signals): void {
  if (!running(child) || child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

/** Starts `command` in a process group of its own, killed (group and all) when the test ends. */
function startGroup (t: TestContext, command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  groups.add(child)
  child.once('exit', () => groups.delete(child))
  t.after(async () => {
    if (!running(child)) return
    const exited = once(child, 'exit')
    killGroup(child, 'SIGKILL')
    await exited
  })
  return child
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves once `check` holds (polled every `every` ms); rejects after `ms`. */
export async function until (check: () => boolean | Promise<boolean>, ms: number, what: string, every = 20): Promise<void> {
  const deadline = Date.now() + ms
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(every)
  }
}

/** Rejects when `promise` has not settled within `ms`. */
export async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

export interface RedisServer {
  readonly url: string
  readonly port: number
  readonly process: ChildProcess
  /** Whether it keeps its data on disk (append-only file, fsync always). */
  readonly persistent: boolean
  /** A client of the test's own, connected (for garbage, and to see what the nodes wrote). */
  client (): Promise<Redis>
  kill (): Promise<void>
  /** Starts it again on the same port and directory; resolves once it answers PING. */
  restart (): Promise<void>
  stop (): void
  cont (): void
}

/** A Redis server of the test's own on a free port, in a temporary directory. */
export async function startRedis (t: TestContext, { persistent = false }: { persistent?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-faults-redis-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])]
  const clients: Redis[] = []
  t.after(() => { for (const client of clients) client.disconnect() })
  let child = startGroup(t, 'redis-server', args)
  const url = `redis://127.0.0.1:${port}`
  const answers = async (): Promise<void> => {
    await until(async () => {
      const probe = new Redis(url, { lazyConnect: true, connectTimeout: 200, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
      probe.on('error', () => {})
      try {
        await probe.connect()
        return await probe.ping() === 'PONG'
      } catch {
        return false
      } finally {
        probe.disconnect()
      }
    }, 10_000, `redis-server on port ${port}`, 25)
  }
  await answers()
  return {
    url,
    port,
    persistent,
    get process () { return child },
    async client () {
      const client = new Redis(url, { maxRetriesPerRequest: 1 })
      client.on('error', () => {})
      clients.push(client)
      return client
    },
    async kill () {
      const exited = once(child, 'exit')
      killGroup(child, 'SIGKILL')
      await exited
    },
    async restart () {
      child = startGroup(t, 'redis-server', args)
      await answers()
    },
    stop () { killGroup(child, 'SIGSTOP') },
    cont () { killGroup(child, 'SIGCONT') }
  }
}

export interface NodeProcess {
  readonly port: number
  readonly pid: number
  /** `http://127.0.0.1:<port>` */
  readonly base: string
  readonly process: ChildProcess
  /** Its log lines (pino JSON, warn and above) and anything else it printed. */
  readonly output: string[]
  readonly alive: boolean
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  signal (signal: NodeJS.Signals): void
}

/** A node (the main example plus test tools) on `port` (a free one by default), once it listens. */
export async function startNode (t: TestContext, redis: RedisServer, { port = 0, graceMs = GRACE_MS }: { port?: number, graceMs?: number } = {}): Promise<NodeProcess> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`pnpm run build\` before the fault suite`)
  const child = startGroup(t, process.execPath, [NODE_FILE], {
    PORT: String(port), REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: String(graceMs), LOG_LEVEL: 'warn'
  })
  const output: string[] = []
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const listening = new Promise<number>((resolve, reject) => {
    let buffered = ''
    const read = (chunk: Buffer): void => {
      buffered += String(chunk)
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) {
        output.push(line)
        const ready = /^ready (\d+)$/.exec(line)
        if (ready !== null) resolve(Number(ready[1]))
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    exited.then(({ code, signal }) => reject(new Error(`the node exited (${code ?? signal}) before it listened:\n${output.join('\n')}`))).catch(() => {})
  })
  const listened = await bounded(listening, 20_000, 'a node to listen')
  return {
    port: listened,
    pid: child.pid!,
    base: `http://127.0.0.1:${listened}`,
    process: child,
    output,
    get alive () { return running(child) },
    exited,
    signal (signal) { killGroup(child, signal) }
  }
}

/** Resolves once the node answers 200 on /ready. */
export async function ready (node: NodeProcess, ms = 10_000): Promise<void> {
  await until(async () => {
    try {
      const answer = await request(`${node.base}/ready`, { headersTimeout: 1000, bodyTimeout: 1000 })
      await answer.body.dump()
      return answer.statusCode === 200
    } catch {
      return false
    }
  }, ms, `node ${node.port} to be ready`, 50)
}

export interface Cluster {
  redis: RedisServer
  nodes: NodeProcess[]
  /** The proxy's MCP endpoint. */
  url: URL
  /** The node ports the proxy spreads requests over. */
  targets: URL[]
  /** Starts node `index` again on its port (after it exited), and waits until it is ready. */
  restart (index: number): Promise<NodeProcess>
}

/** `count` nodes on one Redis, behind the cluster example's round-robin proxy following /ready. */
export async function startCluster (t: TestContext, redis: RedisServer, count: number): Promise<Cluster> {
  const nodes = await Promise.all(Array.from({ length: count }, () => startNode(t, redis)))
  await Promise.all(nodes.map((node) => ready(node)))
  const targets = nodes.map((node) => new URL(node.base))
  const proxy = createRoundRobinProxy(targets, { readyPath: '/ready', intervalMs: CHECK_MS })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.after(() => {
    proxy.closeAllConnections()
    proxy.close()
  })
  const cluster: Cluster = {
    redis,
    nodes,
    targets,
    url: new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`),
    async restart (index) {
      const node = await startNode(t, redis, { port: nodes[index]!.port })
      await ready(node)
      nodes[index] = node
      // The proxy sees it ready at its next check.
      await sleep(2 * CHECK_MS)
      return node
    }
  }
  return cluster
}

export interface SdkClient {
  client: Client
  transport: StreamableHTTPClientTransport
  /** Every message the client received, in arrival order. */
  received: JSONRPCMessage[]
  /** What the transport reported (stream cuts, reconnections). */
  errors: string[]
}

/** The official SDK v1 client, connected to `url`, resuming dropped streams up to `maxRetries` times. */
export async function sdkClient (t: TestContext, url: URL, { maxRetries = 5 }: { maxRetries?: number } = {}): Promise<SdkClient> {
  const client = new Client({ name: 'fault-suite', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(url, {
    reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries }
  })
  const received: JSONRPCMessage[] = []
  const errors: string[] = []
  transport.onmessage = (message) => { received.push(message) }
  t.after(() => bounded(client.close(), 5000, 'the client to close').catch(() => {}))
  await bounded(client.connect(transport), 10_000, 'the client to connect')
  const onerror = transport.onerror
  transport.onerror = (error) => {
    errors.push(error.message)
    onerror?.(error)
  }
  return { client, transport, received, errors }
}

/** The progress values the client received (for `token`, or for any request), in order. */
export function progressOf (received: JSONRPCMessage[], token?: string | number): number[] {
  return received.flatMap((message) => 'method' in message && message.method === 'notifications/progress' &&
    (token === undefined || (message.params as { progressToken?: unknown }).progressToken === token)
    ? [(message.params as { progress: number }).progress]
    : [])
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' }

export interface Answer {
  status: number
  body: string
  ms: number
}

/** One POST of `body` to `url`, answered (or failed) within `ms`: its status (0: no answer), body and time. */
export async function post (url: string, body: unknown, headers: Record<string, string> = {}, ms = 10_000): Promise<Answer> {
  const started = performance.now()
  try {
    const answer = await request(url, {
      method: 'POST', headers: { ...HEADERS, ...headers }, body: JSON.stringify(body), headersTimeout: ms, bodyTimeout: ms
    })
    return { status: answer.statusCode, body: await answer.body.text(), ms: performance.now() - started }
  } catch (error) {
    return { status: 0, body: String(error), ms: performance.now() - started }
  }
}

/** Initializes a session on `url` (raw HTTP); the headers its later requests carry. */
export async function initialize (url: string): Promise<Record<string, string>> {
  const answer = await request(url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    headersTimeout: 5000,
    bodyTimeout: 5000
  })
  await answer.body.dump()
  const session = answer.headers['mcp-session-id']
  if (answer.statusCode !== 200 || typeof session !== 'string') throw new Error(`initialize: ${answer.statusCode}`)
  const headers = { 'mcp-session-id': session }
  const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)
  if (initialized.status !== 202) throw new Error(`notifications/initialized: ${initialized.status} ${initialized.body}`)
  return headers
}

/** A tools/call request. */
export function call (id: number | string, name: string, args: Record<string, unknown> = {}): object {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } }
}

/** The median and the largest of `values`, rounded, for reports. */
export function spread (values: number[]): string {
  if (values.length === 0) return 'none'
  const sorted = [...values].sort((a, b) => a - b)
  return `median ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms, max ${Math.round(sorted.at(-1)!)} ms (${values.length})`
}
