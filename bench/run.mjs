// Benchmark: `tools/call` of a trivial echo tool through the whole stack
// (JSON answers, with a session), against baselines, in one run on loopback.
// Each server runs in its own child process, the load generator
// (bench/load.mjs, autocannon) in another; targets run one after the other.
//
//   node bench/run.mjs [--duration <s>] [--connections <n>] [--warmup <s>]
//                      [--only raw-fastify,mcp-fastify,sdk-stateful,sdk-stateless]
//
// The report goes to stdout and to bench/results/ (markdown + JSON);
// progress and diagnostics go to stderr.
import { fork, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { alive, benchDir, environment, freePort, HOST, keepOutput, packageVersion, root, stop, track, waitForPort } from './common.mjs'

const PROTOCOL_VERSION = '2025-11-25'
const ACCEPT = 'application/json, text/event-stream'
const TEXT = 'hello'

const TARGETS = [
  { name: 'raw-fastify', mcp: false, file: 'bench/servers/raw-fastify.mjs', args: [], about: 'plain Fastify route, same JSON-RPC answer, no MCP' },
  { name: 'mcp-fastify', mcp: true, file: 'examples/conformance/dist/server.js', args: [], env: { REDIS_URL: '' }, about: 'ours: examples/conformance, sessions on (memory store), JSON answers' },
  { name: 'mcp-fastify-redis', mcp: true, file: 'examples/conformance/dist/server.js', args: [], env: { REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379' }, about: 'ours, with the Redis session store (REDIS_URL, default 127.0.0.1:6379)' },
  { name: 'sdk-stateful', mcp: true, file: 'bench/servers/sdk.mjs', args: ['stateful'], about: 'official SDK, session map, enableJsonResponse' },
  { name: 'sdk-stateless', mcp: true, file: 'bench/servers/sdk.mjs', args: ['stateless'], about: 'official SDK, server + transport per request, enableJsonResponse' }
]

function usage () {
  return [
    'usage: node bench/run.mjs [options]',
    '  --duration <s>       measured seconds per target (default 10)',
    '  --warmup <s>         warm-up seconds before measuring (default 2)',
    '  --connections <n>    concurrent connections (default 10)',
    `  --only <list>        comma list of targets: ${TARGETS.map((t) => t.name).join(', ')}`,
    ''
  ].join('\n')
}

function die (message) {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(2)
}

function parseCli () {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '2' },
        connections: { type: 'string', default: '10' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }))
  } catch (err) {
    die(`${err.message}\n${usage()}`)
  }
  if (values.help) {
    process.stdout.write(usage())
    process.exit(0)
  }
  const number = (name, min) => {
    const value = Number(values[name])
    if (!Number.isFinite(value) || value < min) die(`--${name} must be a number >= ${min}, got ${values[name]}`)
    return value
  }
  const connections = number('connections', 1)
  if (!Number.isInteger(connections)) die('--connections must be an integer')
  let targets = TARGETS
  if (values.only) {
    const names = values.only.split(',').map((s) => s.trim()).filter(Boolean)
    const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n))
    if (unknown.length > 0) die(`unknown target(s) ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`)
    targets = TARGETS.filter((t) => names.includes(t.name))
  }
  return { duration: number('duration', 1), warmup: number('warmup', 0), connections, pipelining: 1, targets }
}

// ---- processes ----------------------------------------------------------

// An interrupt exits, which kills the tracked children (see track in common.mjs).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`bench: interrupted (${signal})\n`)
    process.exit(130)
  })
}

function startServer (target, port) {
  // Server output is drained (a full pipe would stall the server) and kept
  // for diagnostics; it is shown only if the target fails.
  const child = track(spawn(process.execPath, [target.file, ...target.args], {
    cwd: root,
    // Loggers off everywhere, as in the raw Fastify baseline.
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'silent', ...target.env },
    stdio: ['ignore', 'pipe', 'pipe']
  }))
  return keepOutput(child)
}

function runLoad (config) {
  return new Promise((resolve, reject) => {
    const child = track(fork(path.join(benchDir, 'load.mjs'), [JSON.stringify(config)], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    }))
    let result
    const limit = (config.warmup + config.duration + 60) * 1000
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`load generator still running after ${limit / 1000} s, killed`))
    }, limit)
    child.on('message', (message) => { result = message })
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    // 'close' comes after the IPC channel is drained, so the result is in.
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (result) resolve(result)
      else reject(new Error(`load generator exited without a result (code ${code}, signal ${signal})`))
    })
  })
}

// ---- MCP handshake and the one real call ----------------------------------

async function post (url, headers, message) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: JSON.stringify(message)
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text }
}

function parseAnswer (answer, what) {
  const type = answer.headers.get('content-type') ?? ''
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${what}: HTTP ${answer.status}: ${answer.text.slice(0, 500)}`)
  }
  if (!type.includes('application/json')) {
    throw new Error(`${what}: expected a JSON answer, got content-type "${type}": ${answer.text.slice(0, 500)}`)
  }
  let body
  try {
    body = JSON.parse(answer.text)
  } catch {
    throw new Error(`${what}: answer is not JSON: ${answer.text.slice(0, 500)}`)
  }
  if (body.error) throw new Error(`${what}: JSON-RPC error ${JSON.stringify(body.error)}`)
  return body
}

// Returns the headers the load generator must send.
async function prepare (target, url) {
  const headers = { 'mcp-protocol-version': PROTOCOL_VERSION }
  if (target.mcp) {
    const init = await post(url, {}, {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fastify-bench', version: '1.0.0' } }
    })
    const initBody = parseAnswer(init, 'initialize')
    if (initBody.result?.protocolVersion !== PROTOCOL_VERSION) {
      throw new Error(`initialize: negotiated protocol version ${initBody.result?.protocolVersion}, wanted ${PROTOCOL_VERSION}`)
    }
    const sessionId = init.headers.get('mcp-session-id')
    if (sessionId) headers['mcp-session-id'] = sessionId
    const initialized = await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })
    if (initialized.status < 200 || initialized.status >= 300) {
      throw new Error(`notifications/initialized: HTTP ${initialized.status}: ${initialized.text.slice(0, 500)}`)
    }
  }
  const call = await post(url, headers, {
    jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: TEXT } }
  })
  const body = parseAnswer(call, 'tools/call')
  const content = body.result?.content
  if (body.id !== 1 || !Array.isArray(content) || !content.some((c) => c.type === 'text' && c.text === TEXT)) {
    throw new Error(`tools/call: answer does not echo "${TEXT}": ${call.text.slice(0, 500)}`)
  }
  return headers
}

// ---- one target -----------------------------------------------------------

async function benchTarget (target, config) {
  if (!existsSync(path.join(root, target.file))) {
    const hint = target.name === 'mcp-fastify' ? ' (run pnpm build)' : ''
    process.stderr.write(`bench: skipping ${target.name}: ${target.file} is missing${hint}\n`)
    return { target: target.name, status: 'skipped', reason: `${target.file} is missing` }
  }
  const port = await freePort()
  const url = `http://${HOST}:${port}/mcp`
  const server = startServer(target, port)
  try {
    await waitForPort(port, server)
    const headers = await prepare(target, url)
    process.stderr.write(`bench: ${target.name}: warm-up ${config.warmup} s, measuring ${config.duration} s, ${config.connections} connections\n`)
    const load = await runLoad({
      url,
      text: TEXT,
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      connections: config.connections,
      duration: config.duration,
      warmup: config.warmup,
      pipelining: config.pipelining
    })
    const problems = []
    if (load.non2xx > 0) problems.push(`${load.non2xx} non-2xx`)
    if (load.errors > 0) problems.push(`${load.errors} errors`)
    if (load.mismatches > 0) problems.push(`${load.mismatches} wrong bodies`)
    if (load.totalRequests === 0) problems.push('no requests completed')
    if (!alive(server)) problems.push('server died')
    return {
      target: target.name,
      status: problems.length === 0 ? 'valid' : 'invalid',
      problems,
      session: Boolean(headers['mcp-session-id']),
      load
    }
  } catch (err) {
    const log = server.log().trim()
    process.stderr.write(`bench: ${target.name} FAILED: ${err.message}\n${log ? `--- server output (tail) ---\n${log}\n---\n` : ''}`)
    return { target: target.name, status: 'failed', reason: err.message }
  } finally {
    await stop(server)
  }
}

// ---- report -----------------------------------------------------------------

const fixed = (value, digits) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits))

function ratio (result, baseline) {
  if (result.status !== 'valid' || !baseline || baseline.status !== 'valid') return 'n/a'
  return `${(result.load.requestsPerSec / baseline.load.requestsPerSec).toFixed(2)}x`
}

function markdown (env, config, results) {
  const byName = Object.fromEntries(results.map((r) => [r.target, r]))
  const lines = [
    '| target | req/s | p50 (ms) | p99 (ms) | vs raw-fastify | vs sdk-stateful | valid |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |'
  ]
  for (const r of results) {
    if (r.status === 'skipped' || r.status === 'failed') {
      lines.push(`| ${r.target} | - | - | - | - | - | ${r.status.toUpperCase()}: ${r.reason.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`)
      continue
    }
    const valid = r.status === 'valid' ? 'yes' : `NO: ${r.problems.join(', ')}`
    lines.push(`| ${r.target} | ${fixed(r.load.requestsPerSec, 0)} | ${fixed(r.load.latency.p50, 3)} | ${fixed(r.load.latency.p99, 3)} | ${ratio(r, byName['raw-fastify'])} | ${ratio(r, byName['sdk-stateful'])} | ${valid} |`)
  }
  const redis = byName['mcp-fastify-redis']
  if (redis?.status === 'valid' && byName['mcp-fastify']?.status === 'valid') {
    lines.push('', `Redis store vs memory store: ${ratio(redis, byName['mcp-fastify'])} of the requests per second.`)
  }
  return [
    '# mcp-fastify benchmark',
    '',
    `\`tools/call\` of an echo tool (text "${TEXT}"), JSON answers, protocol ${PROTOCOL_VERSION}, loopback.`,
    `${config.connections} connections, pipelining ${config.pipelining}, ${config.warmup} s warm-up then ${config.duration} s measured per target, targets run one after the other.`,
    'req/s is the mean of the per-second samples; latencies are exact percentiles of the 2xx response times.',
    '',
    ...lines,
    '',
    `- node ${env.node}, fastify ${env.fastify}, @modelcontextprotocol/sdk ${env.sdk}, autocannon ${env.autocannon}`,
    `- cpu: ${env.cpu}, ${env.cores} cores (servers and load generator share them); ${env.platform}`,
    `- git: ${env.git}; ${env.date}`,
    ''
  ].join('\n')
}

// ---- main -------------------------------------------------------------------

const config = parseCli()
const env = environment({
  versions: { fastify: packageVersion('fastify'), sdk: packageVersion('@modelcontextprotocol/sdk'), autocannon: packageVersion('autocannon') },
  platform: true
})
const results = []
for (const target of config.targets) results.push(await benchTarget(target, config))

const report = markdown(env, config, results)
process.stdout.write(`\n${report}`)

const resultsDir = path.join(benchDir, 'results')
mkdirSync(resultsDir, { recursive: true })
const stamp = env.date.replace(/[:.]/g, '-')
const json = {
  environment: env,
  config: { duration: config.duration, warmup: config.warmup, connections: config.connections, pipelining: config.pipelining, targets: config.targets.map((t) => t.name) },
  targets: Object.fromEntries(TARGETS.map((t) => [t.name, t.about])),
  results
}
writeFileSync(path.join(resultsDir, `bench-${stamp}.md`), report)
writeFileSync(path.join(resultsDir, `bench-${stamp}.json`), `${JSON.stringify(json, null, 2)}\n`)
process.stderr.write(`bench: wrote bench/results/bench-${stamp}.md and .json\n`)

if (results.some((r) => r.status === 'failed' || r.status === 'invalid')) process.exitCode = 1
