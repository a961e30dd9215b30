// Benchmark of the 2026-07-28 revision (stateless, one POST per request, the `_meta` envelope,
// mirrored headers), in one run on loopback, against baselines measured in the same run:
//
//   calls   `tools/call` of a trivial `echo` tool through the whole stack: requests/s, latency,
//           server CPU time per request
//   mrtr    a Multi Round-Trip Request: the call answered `input_required`, then its retry with
//           the answer and the `requestState` echoed: round trips/s and round-trip latency
//   listen  N `subscriptions/listen` streams held open over raw sockets: the server's memory per
//           stream, and how long a broadcast (a tool registered) takes to reach every client
//
//   node bench/modern.mjs [--rounds <n>] [--duration <s>] [--warmup <s>] [--connections <n>]
//                         [--only raw-fastify,mcp-fastify,mcp-fastify-sessions,sdk-v2,mcp-fastify-2025]
//                         [--phases calls,mrtr,listen] [--mrtr-connections <list>]
//                         [--streams <n>] [--batch <n>]
//                         [--no-pin] [--cpu-prof <dir>]
//
// Each server runs in its own child process, the load generator (bench/load.mjs, autocannon) and
// the listen clients (bench/listen-clients.mjs) in others; with taskset, servers on core 1 and
// clients on core 0. Calls and MRTR run in rounds, the order of the targets rotating from round
// to round (the machine's speed drifts); every round is reported, and the median. The listen
// phase runs once per target, after the rounds.
//
// The report (markdown) goes to stdout and, with the JSON of every figure, to bench/results/.
// Needs `pnpm run build` (our server loads packages/*/dist and examples/conformance/dist).
import { fork } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { alive, benchDir, cpuMs, environment, freePort, HOST, keepOutput, median, packageVersion, PIN, pinnedFork, root, stop, track, waitForPort } from './common.mjs'

const VERSION = '2026-07-28'
const ACCEPT = 'application/json, text/event-stream'
const TEXT = 'hello'
const META = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} }
// An MRTR request asks the user: the client must declare elicitation.
const META_ELICIT = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }
const LEGACY_VERSION = '2025-11-25'
const MRTR = { tool: 'test_input_required_result_elicitation', key: 'user_name', answer: { action: 'accept', content: { name: 'Ada' } }, expect: 'Hello, Ada!' }

const TARGETS = [
  { name: 'raw-fastify', file: 'bench/servers/raw-fastify-modern.mjs', args: [], mrtr: false, about: 'plain Fastify route, the same JSON answer, no MCP machinery; listen: a hijacked SSE response per stream' },
  { name: 'mcp-fastify', file: 'bench/servers/modern.mjs', args: ['stateless'], mrtr: true, ours: true, about: 'ours: mcp-transport alone (stateless), the conformance fixture\'s tools' },
  { name: 'mcp-fastify-sessions', file: 'bench/servers/modern.mjs', args: ['sessions'], mrtr: true, ours: true, about: 'ours with mcp-session registered too (memory store), as a dual-era deployment has it' },
  { name: 'sdk-v2', file: 'bench/servers/sdk-v2.mjs', args: [], mrtr: true, about: 'official SDK v2: createMcpHandler + toNodeHandler on node:http, per-request factory, zod schemas' },
  { name: 'mcp-fastify-2025', file: 'bench/servers/modern.mjs', args: ['sessions'], mrtr: false, ours: true, legacy: true, about: 'ours, the server of mcp-fastify-sessions, called at 2025-11-25 in a session (what bench/run.mjs measures): the other era, for comparison' }
]
const PHASES = ['calls', 'mrtr', 'listen']

// ---- options --------------------------------------------------------------------------------

function die (message) {
  process.stderr.write(`bench/modern: ${message}\n`)
  process.exit(2)
}

function parseCli () {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: 'string', default: '3' },
        duration: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '2' },
        connections: { type: 'string', default: '10' },
        only: { type: 'string', default: TARGETS.map((t) => t.name).join(',') },
        phases: { type: 'string', default: PHASES.join(',') },
        'mrtr-connections': { type: 'string', default: '1,10' },
        streams: { type: 'string', default: '2000' },
        batch: { type: 'string', default: '50' },
        'no-pin': { type: 'boolean', default: false },
        'cpu-prof': { type: 'string' }
      }
    }))
  } catch (error) {
    die(error.message)
  }
  const number = (name, min, max = Infinity) => {
    const value = Number(values[name])
    if (!Number.isInteger(value) || value < min || value > max) die(`--${name} must be an integer from ${min} to ${max}, got ${values[name]}`)
    return value
  }
  const list = (name, known) => {
    const names = values[name].split(',').map((s) => s.trim()).filter(Boolean)
    const unknown = names.filter((n) => !known.includes(n))
    if (unknown.length > 0) die(`unknown --${name} ${unknown.join(', ')}; known: ${known.join(', ')}`)
    return names
  }
  const names = list('only', TARGETS.map((t) => t.name))
  const mrtrConnections = values['mrtr-connections'].split(',').map(Number)
  if (mrtrConnections.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) die(`--mrtr-connections must be integers from 1 to 1000, got ${values['mrtr-connections']}`)
  return {
    rounds: number('rounds', 1, 20),
    duration: number('duration', 1, 120),
    warmup: number('warmup', 0, 60),
    connections: number('connections', 1, 1000),
    targets: TARGETS.filter((t) => names.includes(t.name)),
    phases: list('phases', PHASES),
    // A round trip alone (1), and under the load of the calls (`connections`).
    mrtrConnections,
    // Each stream is a socket in the clients' process and one in the server's: stay well within
    // the file descriptor limit (ulimit -n).
    streams: number('streams', 1, 20_000),
    batch: number('batch', 1, 1000),
    pin: PIN && !values['no-pin'],
    cpuProf: values['cpu-prof'] === undefined ? null : path.resolve(values['cpu-prof'])
  }
}

const config = parseCli()
const onCore = (core, nodeArgs = []) => config.pin ? pinnedFork(core, nodeArgs) : { execArgv: nodeArgs }

// An interrupt exits, which kills the tracked children (see track in common.mjs).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`bench/modern: interrupted (${signal})\n`)
    process.exit(130)
  })
}

// ---- processes ------------------------------------------------------------------------------

/** A server in its own process (core 1), with an IPC channel for its memory figures. */
function startServer (target, port) {
  const nodeArgs = ['--expose-gc']
  if (config.cpuProf !== null) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', config.cpuProf, '--cpu-prof-name', `${target.name}-${Date.now()}.cpuprofile`)
  const child = track(fork(path.join(root, target.file), target.args, {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...onCore(1, nodeArgs)
  }))
  return keepOutput(child)
}

/** Sends `message` to `child` and resolves with its next message. */
function ask (child, message, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.off('message', onMessage); reject(new Error(`no answer to ${JSON.stringify(message)} within ${timeoutMs} ms`)) }, timeoutMs)
    function onMessage (answer) {
      clearTimeout(timer)
      resolve(answer)
    }
    child.once('message', onMessage)
    child.send(message)
  })
}

/** The load generator (bench/load.mjs) in its own process (core 0); resolves with its figures. */
function runLoad (options) {
  return new Promise((resolve, reject) => {
    const child = track(fork(path.join(benchDir, 'load.mjs'), [JSON.stringify(options)], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...onCore(0)
    }))
    let result
    const limit = (options.warmup + options.duration + 60) * 1000
    const timer = setTimeout(() => child.kill('SIGKILL'), limit)
    child.on('message', (message) => { result = message })
    child.on('error', (error) => { clearTimeout(timer); reject(error) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (result) resolve(result)
      else reject(new Error(`load generator exited without a result (code ${code}, signal ${signal})`))
    })
  })
}

// ---- checks: one real call of each kind before any load ----------------------------------------

function headers (name) {
  return { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': name }
}

async function call (url, id, params) {
  const response = await fetch(url, { method: 'POST', headers: headers(params.name), body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }) })
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  if (response.status !== 200 || !type.includes('application/json')) throw new Error(`tools/call ${params.name}: HTTP ${response.status} ${type}: ${text.slice(0, 300)}`)
  const body = JSON.parse(text)
  if (body.id !== id || body.error !== undefined) throw new Error(`tools/call ${params.name}: ${text.slice(0, 300)}`)
  return body.result
}

/** 2025-11-25 in a session, as bench/run.mjs does it: the handshake; returns the headers of the calls. */
async function handshake (url) {
  const post = (headers, message) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(message) })
  const init = await post({}, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fastify-bench', version: '1.0.0' } } })
  const sessionId = init.headers.get('mcp-session-id')
  await init.text()
  if (init.status !== 200 || sessionId === null) throw new Error(`initialize: HTTP ${init.status}, session ${sessionId}`)
  const headers = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': LEGACY_VERSION, 'mcp-session-id': sessionId }
  const initialized = await post(headers, { jsonrpc: '2.0', method: 'notifications/initialized' })
  await initialized.text()
  if (initialized.status !== 202) throw new Error(`notifications/initialized: HTTP ${initialized.status}`)
  const answer = await post(headers, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: TEXT } } })
  const text = await answer.text()
  if (answer.status !== 200 || !text.includes(`"text":"${TEXT}"`)) throw new Error(`tools/call echo at ${LEGACY_VERSION}: HTTP ${answer.status}: ${text.slice(0, 300)}`)
  return headers
}

async function check (target, url) {
  const echoed = await call(url, 1, { name: 'echo', arguments: { text: TEXT }, _meta: META })
  if (echoed.resultType !== 'complete' || echoed.content?.[0]?.text !== TEXT) throw new Error(`echo: not a complete result echoing "${TEXT}": ${JSON.stringify(echoed)}`)
  if (!target.mrtr || !config.phases.includes('mrtr')) return
  const asked = await call(url, 2, { name: MRTR.tool, arguments: {}, _meta: META_ELICIT })
  if (asked.resultType !== 'input_required' || asked.inputRequests?.[MRTR.key] === undefined || typeof asked.requestState !== 'string') {
    throw new Error(`${MRTR.tool}: expected input_required asking "${MRTR.key}": ${JSON.stringify(asked).slice(0, 300)}`)
  }
  const done = await call(url, 3, { name: MRTR.tool, arguments: {}, inputResponses: { [MRTR.key]: MRTR.answer }, requestState: asked.requestState, _meta: META_ELICIT })
  if (done.resultType !== 'complete' || !JSON.stringify(done.content).includes(MRTR.expect)) throw new Error(`${MRTR.tool} retry: ${JSON.stringify(done).slice(0, 300)}`)
}

// ---- calls and MRTR: one target in one round --------------------------------------------------------

function problemsOf (load) {
  const problems = []
  if (load.non2xx > 0) problems.push(`${load.non2xx} non-2xx`)
  if (load.errors > 0) problems.push(`${load.errors} errors`)
  if (load.timeouts > 0) problems.push(`${load.timeouts} timeouts`)
  if (load.mismatches > 0) problems.push(`${load.mismatches} wrong bodies${load.mismatchSample ? ` (${load.mismatchSample})` : ''}`)
  if (load.totalRequests === 0) problems.push('no requests completed')
  return problems
}

/** Runs the load `options` against the server, with the server's CPU time per request. */
async function measured (server, options) {
  const before = cpuMs(server.pid)
  const load = await runLoad(options)
  const after = cpuMs(server.pid)
  const served = load.totalRequests + (load.warmup?.totalRequests ?? 0)
  const cpuUsPerRequest = before === null || after === null || served === 0 ? null : (after - before) * 1000 / served
  const problems = problemsOf(load)
  if (!alive(server)) problems.push('server died')
  return { valid: problems.length === 0, problems, cpuUsPerRequest, load }
}

async function roundOf (target, round) {
  const port = await freePort()
  const url = `http://${HOST}:${port}/mcp`
  const server = startServer(target, port)
  const result = { round, target: target.name, calls: null, mrtr: null }
  try {
    await waitForPort(port, server)
    const legacyHeaders = target.legacy ? await handshake(url) : null
    if (!target.legacy) await check(target, url)
    const common = { url, text: TEXT, connections: config.connections, duration: config.duration, warmup: config.warmup, pipelining: 1 }
    if (config.phases.includes('calls')) {
      process.stderr.write(`bench/modern: round ${round + 1}: ${target.name}: calls, ${config.warmup} s + ${config.duration} s, ${config.connections} connections\n`)
      result.calls = await measured(server, target.legacy
        ? { ...common, headers: legacyHeaders }
        : { ...common, headers: headers('echo'), meta: META, expect: '"resultType":"complete"' })
    }
    if (config.phases.includes('mrtr') && target.mrtr) {
      result.mrtr = []
      for (const connections of config.mrtrConnections) {
        process.stderr.write(`bench/modern: round ${round + 1}: ${target.name}: MRTR round trips, ${config.warmup} s + ${config.duration} s, ${connections} connection(s)\n`)
        result.mrtr.push({ connections, ...await measured(server, { ...common, connections, headers: headers(MRTR.tool), meta: META_ELICIT, scenario: 'mrtr', mrtr: MRTR }) })
      }
    }
  } catch (error) {
    process.stderr.write(`bench/modern: ${target.name} FAILED: ${error.message}\n${server.log().trim()}\n`)
    result.failed = error.message
  } finally {
    await stop(server)
  }
  return result
}

// ---- listen: memory per stream, broadcast ------------------------------------------------------------

async function waitUntil (predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await predicate()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

async function listenOf (target) {
  const port = await freePort()
  const server = startServer(target, port)
  const clients = track(fork(path.join(benchDir, 'listen-clients.mjs'), [], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...onCore(0) }))
  const command = async (message, timeoutMs) => {
    const answer = await ask(clients, message, timeoutMs)
    if (!answer.ok) throw new Error(`listen clients: ${answer.error}`)
    return answer
  }
  const stats = () => ask(server, 'stats')
  // Whether the server holds no stream any more (a server that does not count them gets a second).
  const drained = async () => {
    const { listening } = await stats()
    if (listening !== null) return listening === 0
    await new Promise((resolve) => setTimeout(resolve, 1000))
    return true
  }
  const result = { target: target.name, streams: config.streams }
  try {
    await waitForPort(port, server)
    process.stderr.write(`bench/modern: ${target.name}: listen, ${config.streams} streams\n`)
    // Warm-up: the code paths of a stream and of a broadcast run (and are compiled) before the
    // baseline is taken, so that what is measured is what each stream keeps.
    const warm = Math.min(100, config.streams)
    const warmOpen = await command({ cmd: 'open', port, count: warm, batch: config.batch }, 60_000)
    if (warmOpen.failed > 0) throw new Error(`${warmOpen.failed} of ${warm} warm-up streams failed: ${warmOpen.firstError}`)
    await command({ cmd: 'broadcast', port, timeoutMs: 10_000 }, 20_000)
    await command({ cmd: 'close' })
    await waitUntil(drained, 5000)
    result.before = await stats()
    result.open = await command({ cmd: 'open', port, count: config.streams, batch: config.batch }, 300_000)
    if (result.open.failed > 0) throw new Error(`${result.open.failed} of ${config.streams} streams failed: ${result.open.firstError}`)
    result.held = await stats()
    result.broadcast = await command({ cmd: 'broadcast', port, timeoutMs: 30_000 }, 60_000)
    await command({ cmd: 'close' })
    result.drained = await waitUntil(drained, 10_000)
    result.after = await stats()
    const delta = (key) => (result.held[key] - result.before[key]) / config.streams
    result.perStream = { rss: delta('rss'), heapUsed: delta('heapUsed'), external: delta('external') }
    result.valid = result.broadcast.missing === 0 && alive(server)
  } catch (error) {
    process.stderr.write(`bench/modern: ${target.name} listen FAILED: ${error.message}\n${server.log().trim()}\n`)
    result.failed = error.message
    result.valid = false
  } finally {
    if (alive(clients)) clients.kill('SIGKILL')
    await stop(server)
  }
  return result
}

// ---- report ---------------------------------------------------------------------------------------

const fixed = (value, digits) => (value === null || value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits))
const kib = (bytes) => (bytes === undefined || bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(2)} KiB`)
const mib = (bytes) => (bytes === undefined || bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`)

function report (env, endLoad, rounds, listens) {
  const names = config.targets.map((t) => t.name)
  const get = (round, name, phase) => rounds.find((r) => r.round === round && r.target === name)?.[phase] ?? null
  const ok = (entry) => entry !== null && entry.valid
  const lines = [
    '# mcp-fastify benchmark, 2026-07-28',
    '',
    `Loopback; each server in its own process${config.pin ? ' on core 1, load generator and clients on core 0 (taskset)' : ', sharing the cores with the load generator'}.`,
    `${config.rounds} round(s), the order of the targets rotating; per target and round ${config.warmup} s warm-up + ${config.duration} s measured, ${config.connections} connections, pipelining 1.`,
    'req/s: autocannon\'s mean of the per-second samples; latencies: exact percentiles of every 2xx response time; CPU: the server process\'s user + system time per request (warm-up included), which a busy machine disturbs less than req/s.',
    ''
  ]
  const ours = ['mcp-fastify', 'mcp-fastify-sessions'].filter((n) => names.includes(n))
  if (config.phases.includes('calls')) {
    lines.push('## tools/call (echo)', '')
    const ratioCols = []
    for (const n of ours) {
      if (names.includes('raw-fastify')) ratioCols.push([n, 'raw-fastify'])
      if (names.includes('sdk-v2')) ratioCols.push([n, 'sdk-v2'])
    }
    lines.push(`| round | ${names.map((n) => `${n} req/s`).join(' | ')} | ${ratioCols.map(([a, b]) => `${a} / ${b}`).join(' | ')} |`)
    lines.push(`| --- | ${names.map(() => '---:').join(' | ')} | ${ratioCols.map(() => '---:').join(' | ')} |`)
    const ratio = (round, a, b) => ok(get(round, a, 'calls')) && ok(get(round, b, 'calls')) ? get(round, a, 'calls').load.requestsPerSec / get(round, b, 'calls').load.requestsPerSec : null
    for (let round = 0; round < config.rounds; round++) {
      const cells = names.map((n) => { const e = get(round, n, 'calls'); return ok(e) ? fixed(e.load.requestsPerSec, 0) : (e ? `INVALID: ${e.problems.join('; ')}` : 'failed') })
      lines.push(`| ${round + 1} | ${cells.join(' | ')} | ${ratioCols.map(([a, b]) => fixed(ratio(round, a, b), 2)).join(' | ')} |`)
    }
    const med = (values) => { const v = values.filter((x) => x !== null); return v.length === 0 ? null : median(v) }
    const perRound = (n, pick) => Array.from({ length: config.rounds }, (_, r) => ok(get(r, n, 'calls')) ? pick(get(r, n, 'calls')) : null)
    lines.push(`| median | ${names.map((n) => fixed(med(perRound(n, (e) => e.load.requestsPerSec)), 0)).join(' | ')} | ${ratioCols.map(([a, b]) => fixed(med(Array.from({ length: config.rounds }, (_, r) => ratio(r, a, b))), 2)).join(' | ')} |`)
    lines.push('', 'Latency and CPU per request (median over the rounds; per round in the JSON):', '',
      '| target | p50 (ms) | p99 (ms) | server CPU per request (µs) | vs raw-fastify CPU |', '| --- | ---: | ---: | ---: | ---: |')
    const rawCpu = med(perRound('raw-fastify', (e) => e.cpuUsPerRequest))
    for (const n of names) {
      const cpu = med(perRound(n, (e) => e.cpuUsPerRequest))
      lines.push(`| ${n} | ${fixed(med(perRound(n, (e) => e.load.latency.p50)), 3)} | ${fixed(med(perRound(n, (e) => e.load.latency.p99)), 3)} | ${fixed(cpu, 1)} | ${rawCpu === null || cpu === null ? 'n/a' : fixed(rawCpu / cpu, 2)} |`)
    }
    lines.push('', '"vs raw-fastify CPU" is raw Fastify\'s CPU time per request over the target\'s: the throughput ratio a server core would give if the load generator were not the limit.', '')
  }
  const mrtrNames = config.targets.filter((t) => t.mrtr).map((t) => t.name)
  if (config.phases.includes('mrtr') && mrtrNames.length > 0) {
    const mrtrOf = (round, name, connections) => get(round, name, 'mrtr')?.find((e) => e.connections === connections) ?? null
    lines.push('## MRTR round trip (input_required, then the retry with the answer and the state echoed)', '',
      `Tool \`${MRTR.tool}\` (asks \`${MRTR.key}\`), answered \`${JSON.stringify(MRTR.answer)}\`; each connection runs the two requests one after the other, in a loop; the round trip is from the first request written to the retry's answer read. With 1 connection: a round trip alone; with more: under load (closed loop, so latency grows with the connections).`, '',
      '| round | target | connections | round trips/s | p50 (ms) | p99 (ms) | server CPU per round trip (µs) | valid |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |')
    for (let round = 0; round < config.rounds; round++) {
      for (const connections of config.mrtrConnections) {
        for (const n of mrtrNames) {
          const e = mrtrOf(round, n, connections)
          if (e === null) { lines.push(`| ${round + 1} | ${n} | ${connections} | - | - | - | - | failed |`); continue }
          lines.push(`| ${round + 1} | ${n} | ${connections} | ${fixed(e.load.roundTripsPerSec, 0)} | ${fixed(e.load.roundTrip?.p50, 3)} | ${fixed(e.load.roundTrip?.p99, 3)} | ${fixed(e.cpuUsPerRequest === null ? null : e.cpuUsPerRequest * 2, 1)} | ${e.valid ? 'yes' : `NO: ${e.problems.join('; ')}`} |`)
        }
      }
    }
    for (const connections of config.mrtrConnections) {
      for (const n of mrtrNames) {
        const runs = Array.from({ length: config.rounds }, (_, r) => mrtrOf(r, n, connections)).filter(ok)
        if (runs.length === 0) continue
        lines.push(`| median | ${n} | ${connections} | ${fixed(median(runs.map((e) => e.load.roundTripsPerSec)), 0)} | ${fixed(median(runs.map((e) => e.load.roundTrip.p50)), 3)} | ${fixed(median(runs.map((e) => e.load.roundTrip.p99)), 3)} | ${fixed(median(runs.map((e) => e.cpuUsPerRequest * 2)), 1)} | |`)
      }
    }
    lines.push('')
  }
  if (listens.length > 0) {
    lines.push(`## Listen streams (${config.streams} \`subscriptions/listen\`, raw sockets, opened ${config.batch} at a time)`, '',
      'Server memory after two full GCs (--expose-gc), before the streams (after a warm-up of 100 streams opened and closed) and with them held; per stream = the difference / N. Broadcast: one `tools/call` of `bench_add_tool` registers a tool; the time is from that call written to each client reading its `notifications/tools/list_changed`, as the clients (one process) see it.', '',
      '| target | opened in | RSS before → held | RSS per stream | heap per stream | external per stream | heap after close | broadcast p50 / p99 / max (ms) | received |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |')
    for (const l of listens) {
      if (l.failed !== undefined) { lines.push(`| ${l.target} | FAILED: ${l.failed.replaceAll('|', '\\|')} | | | | | | | |`); continue }
      const b = l.broadcast
      lines.push(`| ${l.target} | ${fixed(l.open.ms, 0)} ms | ${mib(l.before.rss)} → ${mib(l.held.rss)} | ${kib(l.perStream.rss)} | ${kib(l.perStream.heapUsed)} | ${kib(l.perStream.external)} | ${mib(l.after.heapUsed)} (before: ${mib(l.before.heapUsed)})${l.drained === false ? ', streams still open' : ''} | ${fixed(b.latency.p50, 1)} / ${fixed(b.latency.p99, 1)} / ${fixed(b.latency.max, 1)} | ${b.received} of ${l.streams} |`)
    }
    lines.push('')
  }
  lines.push(`- node ${env.node}, fastify ${env.fastify}, @modelcontextprotocol/server ${env.sdkServer}, @modelcontextprotocol/node ${env.sdkNode}, zod ${env.zod} (the SDK's), autocannon ${env.autocannon}`)
  lines.push(`- cpu: ${env.cpu}, ${env.cores} cores; load average at start ${env.loadavg}, at the end ${endLoad}; ${env.platform}`)
  lines.push(`- git ${env.git}; ${env.date}`, '')
  return lines.join('\n')
}

// ---- main ------------------------------------------------------------------------------------------

for (const target of config.targets) {
  if (!existsSync(path.join(root, target.file))) die(`${target.file} is missing`)
}
if (config.targets.some((t) => t.ours) && !existsSync(path.join(root, 'examples/conformance/dist/app.js'))) die('build first: pnpm run build')
if (config.cpuProf !== null) mkdirSync(config.cpuProf, { recursive: true })

const fromServer = createRequire(createRequire(path.join(benchDir, 'package.json')).resolve('@modelcontextprotocol/server'))
const env = environment({
  versions: {
    fastify: packageVersion('fastify'),
    sdkServer: packageVersion('@modelcontextprotocol/server'),
    sdkNode: packageVersion('@modelcontextprotocol/node'),
    zod: packageVersion('zod', fromServer),
    autocannon: packageVersion('autocannon')
  },
  platform: true,
  loadavg: true
})

const rounds = []
if (config.phases.includes('calls') || config.phases.includes('mrtr')) {
  const order = (round) => config.targets.map((_, i) => config.targets[(i + round) % config.targets.length])
  for (let round = 0; round < config.rounds; round++) {
    for (const target of order(round)) rounds.push(await roundOf(target, round))
  }
}
const listens = []
if (config.phases.includes('listen')) {
  // Listen streams are 2026-07-28 only.
  for (const target of config.targets.filter((t) => !t.legacy)) listens.push(await listenOf(target))
}
const endLoad = os.loadavg().map((value) => value.toFixed(2)).join(' ')

const markdown = report(env, endLoad, rounds, listens)
process.stdout.write(`\n${markdown}`)
const dir = path.join(benchDir, 'results')
mkdirSync(dir, { recursive: true })
const stamp = env.date.replace(/[:.]/g, '-')
writeFileSync(path.join(dir, `modern-${stamp}.md`), markdown)
writeFileSync(path.join(dir, `modern-${stamp}.json`), `${JSON.stringify({ environment: { ...env, loadavgEnd: endLoad, pinned: config.pin }, config, targets: Object.fromEntries(TARGETS.map((t) => [t.name, t.about])), rounds, listens }, null, 2)}\n`)
process.stderr.write(`bench/modern: wrote bench/results/modern-${stamp}.md and .json\n`)

const invalid = rounds.some((r) => r.failed !== undefined || (r.calls && !r.calls.valid) || r.mrtr?.some((e) => !e.valid)) || listens.some((l) => !l.valid)
if (invalid) process.exitCode = 1
