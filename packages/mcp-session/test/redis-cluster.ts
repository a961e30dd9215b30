import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A throwaway Redis Cluster for the tests: three masters (no replicas), each a
 * `redis-server --cluster-enabled yes` on a free loopback port, in a temporary directory,
 * joined with `redis-cli --cluster create`. Nothing here touches the shared Redis. Every step is
 * bounded in time; `stop` (also run when the process exits) kills the servers and removes the
 * directory.
 */
export interface TestCluster {
  /** The masters' addresses, for ioredis `Cluster` or the `redis: { cluster }` option. */
  nodes: Array<{ host: string, port: number }>
  /** How long starting it took (ms), for the notice the tests print. */
  startedInMs: number
  stop (): Promise<void>
}

const MASTERS = 3
/** How long the whole start may take before it is given up. */
const START_TIMEOUT_MS = 30_000

/** Why a cluster cannot be started here (`redis-server` or `redis-cli` missing), or `undefined`. */
export function clusterUnavailable (): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    const found = spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 5000 })
    if (found.error !== undefined || found.status !== 0) return `${binary} is not installed`
  }
  return undefined
}

export async function startCluster (): Promise<TestCluster> {
  const started = Date.now()
  const deadline = started + START_TIMEOUT_MS
  const dir = mkdtempSync(join(tmpdir(), 'mcp-session-cluster-'))
  const servers: ChildProcess[] = []
  let stopped = false
  const killAll = (): void => {
    for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL')
  }
  // A test process that ends without running `stop` (a crash, a timeout) leaves nothing behind.
  process.once('exit', killAll)
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    process.off('exit', killAll)
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve()
      const timer = setTimeout(() => server.kill('SIGKILL'), 2000)
      server.once('exit', () => { clearTimeout(timer); resolve() })
      server.kill('SIGTERM')
    })))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const ports: number[] = []
    for (let i = 0; i < MASTERS; i++) ports.push(await freePort())
    for (const port of ports) {
      const server = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir,
        '--save', '', '--appendonly', 'no', '--cluster-node-timeout', '2000', '--loglevel', 'warning'
      ], { stdio: ['ignore', 'ignore', 'pipe'] })
      servers.push(server)
    }
    for (const port of ports) await until(deadline, `redis-server on port ${port}`, async () => await cli(port, ['PING'], deadline) === 'PONG')
    const created = await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], deadline)
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`)
    for (const port of ports) {
      await until(deadline, `the cluster to be ok on port ${port}`, async () => (await cli(port, ['CLUSTER', 'INFO'], deadline)).includes('cluster_state:ok'))
    }
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), startedInMs: Date.now() - started, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

async function cli (port: number, args: string[], deadline: number): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], deadline)).output.trim()
}

/** Runs a command to its end, within the deadline; its exit code and what it printed. */
function run (command: string, args: string[], deadline: number): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} did not finish in time`))
    }, Math.max(0, deadline - Date.now()))
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, output }) })
  })
}

async function until (deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A loopback port free a moment ago, whose cluster bus port (+10000) is free too. */
async function freePort (): Promise<number> {
  for (;;) {
    const port = await listenOnce(0)
    if (port < 55_535 && await listenOnce(port + 10_000).then(() => true, () => false)) return port
  }
}

function listenOnce (port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo
      server.close(() => resolve(bound))
    })
  })
}
