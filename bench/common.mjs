// Helpers shared by the benchmark scripts (bench/run.mjs, bench/oauth.mjs, bench/metrics.mjs,
// bench/modern.mjs): ports, child servers, cores and CPU time, and the description of the machine
// and software a run was measured on.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Whether the module of `url` (its import.meta.url) is the script node was started with. */
export function isMain (url) {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(url)
  } catch {
    return false
  }
}

// The folder of the benchmark scripts (bench/).
export const benchDir = path.dirname(fileURLToPath(import.meta.url))
// The root of the repository: where the servers run, and what gitRevision describes.
export const root = path.resolve(benchDir, '..')
// The loopback address every server listens on and every client connects to.
export const HOST = '127.0.0.1'

// ---- ports --------------------------------------------------------------------

// A TCP port free on HOST right now, for a server to listen on.
export function freePort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

// Whether a TCP connection to HOST:port opens within a second.
export function canConnect (port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port })
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(false))
  })
}

// Resolves once the server `child` accepts connections on `port`; rejects if it exits first or takes too long.
export async function waitForPort (port, child, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive(child)) throw new Error(`server exited before listening (code ${child.exitCode}, signal ${child.signalCode})`)
    if (await canConnect(port)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`server did not accept connections on ${HOST}:${port} within ${timeoutMs} ms`)
}

// ---- child processes ------------------------------------------------------------

const children = new Set()
process.on('exit', () => {
  for (const child of children) if (alive(child)) child.kill('SIGKILL')
})

// Registers a child process to be killed (SIGKILL) if this process exits while it still runs; returns it.
export function track (child) {
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

// Whether a child process is still running (neither exited nor killed by a signal).
/** Drains a child's output (a full pipe would stall it) and keeps its tail as `child.log()`, for diagnostics. */
export function keepOutput (child) {
  let log = ''
  const keep = (chunk) => { log = (log + chunk).slice(-8000) }
  child.stdout.setEncoding('utf8').on('data', keep)
  child.stderr.setEncoding('utf8').on('data', keep)
  child.log = () => log
  return child
}

export function alive (child) {
  return child.exitCode === null && child.signalCode === null
}

// Stops a child process: SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited.
export function stop (child, graceMs = 3000) {
  if (!alive(child)) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}

// ---- cores and CPU time ----------------------------------------------------------

/**
 * Whether servers and load generators can be pinned to cores of their own: `taskset` (Linux) and
 * two cores or more. Then a server runs on core 1 and the load generator on core 0, and neither
 * moves onto the other's core, which steadies the figures.
 */
export const PIN = (() => {
  if (os.availableParallelism?.() < 2) return false
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** [command, args] that run node with `args` on `core` (when PIN), for spawn. */
export function pinned (core, args) {
  return PIN ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args]
}

/** fork() options that run the forked node, with the options `nodeArgs`, on `core` (when PIN). */
export function pinnedFork (core, nodeArgs = []) {
  return PIN ? { execPath: 'taskset', execArgv: ['-c', String(core), process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/**
 * CPU time (user + system, ms) the process has used, from /proc (Linux); `null` elsewhere. Per
 * request, it is what a single-threaded server's throughput is the inverse of when the machine
 * is free, and it varies far less than req/s when other processes compete for the cores.
 */
export function cpuMs (pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS
  } catch {
    return null
  }
}

// ---- figures ----------------------------------------------------------------------

export const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// ---- the environment of a run ----------------------------------------------------

// The version of the package `name` as `require` (bench/'s by default) finds it installed, or 'unknown'.
export function packageVersion (name, require = createRequire(path.join(benchDir, 'package.json'))) {
  const versionIn = (dir) => {
    const file = path.join(dir, 'package.json')
    if (!existsSync(file)) return undefined
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    return pkg.name === name ? pkg.version : undefined
  }
  try {
    // Walk up from the entry point: not every package exports its package.json.
    let dir = path.dirname(require.resolve(name))
    while (dir !== path.dirname(dir)) {
      const version = versionIn(dir)
      if (version !== undefined) return version
      dir = path.dirname(dir)
    }
  } catch {}
  try {
    // No entry point for require (an ESM-only package, or its CommonJS build missing): look in
    // the node_modules folders require searches, in the same order.
    for (const dir of require.resolve.paths(name) ?? []) {
      const version = versionIn(path.join(dir, name))
      if (version !== undefined) return version
    }
  } catch {}
  return 'unknown'
}

// The git revision of the repository (short hash, flagged when the tree has uncommitted changes), or 'none'.
export function gitRevision () {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== ''
    return dirty ? `${rev} (uncommitted changes)` : rev
  } catch {
    return 'none'
  }
}

// What a run was measured on, in report order: date, node, `versions` ({ key: version }), cpu, cores, platform/loadavg if asked, git.
export function environment ({ versions = {}, platform = false, loadavg = false } = {}) {
  const cpus = os.cpus()
  return {
    date: new Date().toISOString(),
    node: process.version,
    ...versions,
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    ...(platform && { platform: `${os.type()} ${os.release()} ${os.arch()}` }),
    ...(loadavg && { loadavg: os.loadavg().map((value) => value.toFixed(2)).join(' ') }),
    git: gitRevision()
  }
}

// ---- memory -------------------------------------------------------------------

// This process's memory, in bytes, after two full collections when it runs with --expose-gc (so
// what is measured is what is kept, not garbage waiting for a collection).
export function memoryStats () {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc()
    globalThis.gc()
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external, arrayBuffers, gc: typeof globalThis.gc === 'function' }
}
