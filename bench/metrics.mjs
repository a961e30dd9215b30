// Benchmark: what mcp-metrics costs. `tools/call` of the echo tool through the whole stack (the
// app of bench/run.mjs's `mcp-fastify` target: examples/conformance's fixtures, sessions on, JSON
// answers, no logger), with and without mcp-metrics, in one run on loopback. Each server runs in its own
// child process (this file, `--serve <variant>`), the load generator (bench/load.mjs, autocannon)
// in another; the order of the variants rotates from round to round, so that the drift of a noisy
// machine does not always hit the same one (with taskset, the server and the load generator each
// keep a core of their own). A second, in-process measure (`--micro`) times the
// engine's `handleRequest` alone, with each variant's observers, in nanoseconds per call: far
// steadier than req/s on a shared machine.
//
//   node bench/metrics.mjs [--duration <s>] [--warmup <s>] [--connections <n>] [--rounds <n>]
//                          [--only off,metrics,sdk,traced,sampled] [--micro <calls>]
//
// Variants (each compared with its baseline, measured in the same run):
//   off      no mcp-metrics, no OpenTelemetry SDK                      (baseline of metrics)
//   metrics  mcp-metrics: metrics, and tracing through the API with no SDK (a no-op)
//   sdk      an OpenTelemetry SDK, no mcp-metrics                       (baseline of traced, sampled)
//   traced   the SDK and mcp-metrics, every request's span recorded
//   sampled  the SDK (parent-based, 10 % of new traces) and mcp-metrics
// The SDK: BasicTracerProvider, BatchSpanProcessor to an exporter that drops the batches,
// AsyncLocalStorage context manager, W3C trace-context propagator (what NodeSDK sets up).
//
// The report (markdown) goes to stdout and, with the JSON of every figure, to bench/results/.
import { fork, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { benchDir, cpuMs, environment, freePort, HOST, keepOutput, mean, median, packageVersion, PIN, pinned, pinnedFork, root, stop, track, waitForPort } from './common.mjs'

const PROTOCOL_VERSION = '2025-11-25'
const ACCEPT = 'application/json, text/event-stream'
const TEXT = 'hello'
const VARIANTS = {
  off: { about: 'no mcp-metrics, no SDK', baseline: null, metrics: false, sdk: null },
  metrics: { about: 'mcp-metrics; tracing through the API, no SDK', baseline: 'off', metrics: true, sdk: null },
  sdk: { about: 'OpenTelemetry SDK, no mcp-metrics', baseline: null, metrics: false, sdk: 'all' },
  traced: { about: 'SDK + mcp-metrics, every span recorded', baseline: 'sdk', metrics: true, sdk: 'all' },
  sampled: { about: 'SDK sampling 10 % + mcp-metrics', baseline: 'sdk', metrics: true, sdk: 'ratio' }
}
// mcp-metrics and the OpenTelemetry SDK are not dependencies of bench/: they are loaded from the
// mcp-metrics package (its build, and its own dependencies and dev dependencies).
const metricsDir = path.join(root, 'packages/mcp-metrics')
const fromMetrics = createRequire(path.join(metricsDir, 'package.json'))
const importFromMetrics = (name) => import(pathToFileURL(fromMetrics.resolve(name)).href)

// ---- the servers and the in-process loop (child processes) --------------------------------

/** Sets up what the variant has: an OpenTelemetry SDK, mcp-metrics (registered on `app`). */
async function instrument (variant, app) {
  const { sdk, metrics } = VARIANTS[variant]
  if (sdk !== null) {
    const api = await importFromMetrics('@opentelemetry/api')
    const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = await importFromMetrics('@opentelemetry/sdk-trace-base')
    const { AsyncLocalStorageContextManager } = await importFromMetrics('@opentelemetry/context-async-hooks')
    const { W3CTraceContextPropagator } = await importFromMetrics('@opentelemetry/core')
    const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} }
    const sampler = sdk === 'ratio' ? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }) : undefined
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    api.trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(dropping)] }))
    // An instrumented app enters contexts all the time (the HTTP instrumentation, per request),
    // which turns AsyncLocalStorage's promise hooks on for good: do it once here, so that the
    // baseline pays that too, and the difference is mcp-metrics' own.
    api.context.with(api.context.active(), () => {})
  }
  if (metrics) {
    const { default: mcpMetrics } = await import(pathToFileURL(path.join(metricsDir, 'dist/index.js')).href)
    await app.register(mcpMetrics)
  }
}

/**
 * The app of bench/run.mjs's `mcp-fastify` target (examples/conformance: sessions, its fixtures,
 * the `echo` tool), put together as examples/main does it: mcp-metrics first, when it is there.
 */
async function serve (variant) {
  const { declareFixtures } = await import('@mcp-fastify/example-conformance')
  const { default: Fastify } = await import('fastify')
  const { default: mcpSession } = await import('@mcp-fastify/mcp-session')
  const { default: mcpTransport } = await import('@mcp-fastify/mcp-transport')
  const app = Fastify({ logger: false })
  await instrument(variant, app)
  await app.register(mcpSession)
  await app.register(mcpTransport, { path: '/mcp', legacySse: true, serverInfo: { name: 'mcp-fastify-conformance', version: '0.1.0' } })
  declareFixtures(app.mcp)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
  }
  await app.listen({ port: Number(process.env.PORT), host: HOST })
}

/**
 * The engine alone: `McpServer.handleRequest` of `tools/call echo` in a loop, with what a
 * Fastify transport passes along (`extra.request`), after the variant's set-up (mcp-metrics
 * subscribes when its app is ready). Prints nanoseconds per call.
 */
async function microLoop (variant, calls) {
  const { McpServer, statelessSession } = await import('@mcp-fastify/mcp-protocol')
  const { default: Fastify } = await import('fastify')
  const server = new McpServer({ name: 'bench', version: '1.0.0' })
  server.tool({
    name: 'echo',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    handler: ({ text }) => ({ content: [{ type: 'text', text }] })
  })
  const app = Fastify({ logger: false })
  await instrument(variant, app)
  await app.ready()
  const session = statelessSession(PROTOCOL_VERSION)
  const request = { headers: { 'content-length': '96' }, body: {}, raw: { httpVersion: '1.1' }, ip: HOST, socket: { remotePort: 40000 } }
  const loop = async (count) => {
    for (let id = 0; id < count; id++) {
      await server.handleRequest({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: TEXT } } }, session, undefined, { request })
    }
  }
  await loop(Math.ceil(calls / 2))
  const started = process.hrtime.bigint()
  await loop(calls)
  process.stdout.write(`${JSON.stringify({ variant, nsPerCall: Number(process.hrtime.bigint() - started) / calls })}\n`)
  await app.close()
}

// ---- the run (parent process) ---------------------------------------------------

function die (message) {
  process.stderr.write(`bench/metrics: ${message}\n`)
  process.exit(2)
}

function parseCli () {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      'micro-loop': { type: 'string' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      micro: { type: 'string', default: '300000' },
      only: { type: 'string', default: Object.keys(VARIANTS).join(',') }
    }
  })
  const number = (name, min) => {
    const value = Number(values[name])
    if (!Number.isFinite(value) || value < min) die(`--${name} must be a number >= ${min}, got ${values[name]}`)
    return value
  }
  const variants = values.only.split(',').map((name) => name.trim()).filter(Boolean)
  const unknown = [...variants, values.serve, values['micro-loop']].filter((name) => name !== undefined && !(name in VARIANTS))
  if (unknown.length > 0) die(`unknown variant(s) ${unknown.join(', ')}; known: ${Object.keys(VARIANTS).join(', ')}`)
  for (const name of variants) {
    const { baseline } = VARIANTS[name]
    if (baseline !== null && !variants.includes(baseline)) die(`--only ${name} needs its baseline ${baseline} too`)
  }
  return {
    serve: values.serve,
    microLoop: values['micro-loop'],
    duration: number('duration', 1),
    warmup: number('warmup', 0),
    connections: number('connections', 1),
    rounds: number('rounds', 1),
    micro: number('micro', 0),
    variants
  }
}

function startServer (variant, port) {
  const [command, args] = pinned(1, [fileURLToPath(import.meta.url), '--serve', variant])
  const child = track(spawn(command, args, {
    cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe']
  }))
  return keepOutput(child)
}

/** The in-process loop of one variant, in a child process of its own. */
function runMicro (variant, calls) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [fileURLToPath(import.meta.url), '--micro-loop', variant, '--micro', String(calls)], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit']
    }))
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => { out += chunk })
    child.on('error', reject)
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)))
      } catch {
        reject(new Error(`micro loop of ${variant} exited with code ${code}: ${out.slice(-500)}`))
      }
    })
  })
}

function runLoad (config) {
  return new Promise((resolve, reject) => {
    const options = { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }
    Object.assign(options, pinnedFork(0))
    const child = track(fork(path.join(benchDir, 'load.mjs'), [JSON.stringify(config)], options))
    let result
    child.on('message', (message) => { result = message })
    child.on('error', reject)
    child.on('close', (code) => result ? resolve(result) : reject(new Error(`load generator exited without a result (code ${code})`)))
  })
}

async function post (url, headers, message) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(message) })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** The handshake a client does, and one real call: returns the headers the load must send. */
async function prepare (url) {
  const init = await post(url, {}, {
    jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } }
  })
  const sessionId = init.headers.get('mcp-session-id')
  if (init.status !== 200 || !sessionId) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 300)}`)
  const headers = { 'mcp-protocol-version': PROTOCOL_VERSION, 'mcp-session-id': sessionId }
  await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })
  const call = await post(url, headers, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: TEXT } } })
  if (call.status !== 200 || !call.text.includes(`"text":"${TEXT}"`)) throw new Error(`tools/call: ${call.status} ${call.text.slice(0, 300)}`)
  return headers
}

/** After the load, what the metrics say (variants with mcp-metrics): the calls were counted. */
async function countedCalls (base) {
  const text = await (await fetch(`${base}/metrics`)).text()
  const found = /^mcp_server_operation_duration_seconds_count\{mcp_method_name="tools\/call",gen_ai_tool_name="echo"\} (\d+)$/m.exec(text)
  return found === null ? 0 : Number(found[1])
}

async function measure (variant, config) {
  const port = await freePort()
  const base = `http://${HOST}:${port}`
  const server = startServer(variant, port)
  try {
    await waitForPort(port, server)
    const headers = await prepare(`${base}/mcp`)
    process.stderr.write(`bench/metrics: ${variant}: warm-up ${config.warmup} s, measuring ${config.duration} s, ${config.connections} connections\n`)
    const cpuBefore = cpuMs(server.pid)
    const load = await runLoad({
      url: `${base}/mcp`,
      text: TEXT,
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      connections: config.connections,
      duration: config.duration,
      warmup: config.warmup,
      pipelining: 1
    })
    const cpuAfter = cpuMs(server.pid)
    const served = load.totalRequests + (load.warmup?.totalRequests ?? 0)
    const cpuUsPerRequest = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) * 1000 / served
    const problems = []
    if (load.non2xx > 0) problems.push(`${load.non2xx} non-2xx`)
    if (load.errors > 0) problems.push(`${load.errors} errors`)
    if (load.mismatches > 0) problems.push(`${load.mismatches} wrong bodies`)
    // Every call answered must have been counted (warm-up and the check call included).
    const counted = VARIANTS[variant].metrics ? await countedCalls(base) : null
    if (counted !== null && counted < load.totalRequests) problems.push(`metrics counted ${counted} calls, fewer than the ${load.totalRequests} measured`)
    return { variant, valid: problems.length === 0, problems, counted, cpuUsPerRequest, load }
  } catch (error) {
    process.stderr.write(`bench/metrics: ${variant} FAILED: ${error.message}\n${server.log()}\n`)
    return { variant, valid: false, problems: [error.message], load: null }
  } finally {
    await stop(server)
  }
}

function report (config, results, micro, env) {
  const valid = (name) => results.filter((result) => result.variant === name && result.valid)
  const rps = (name) => valid(name).map((result) => result.load.requestsPerSec)
  const lines = [
    '# mcp-metrics overhead',
    '',
    `\`tools/call\` of the echo tool (examples/conformance, sessions on, JSON answers), protocol ${PROTOCOL_VERSION}, loopback;`,
    `${config.connections} connections, ${config.warmup} s warm-up + ${config.duration} s measured per run, ${config.rounds} round(s), the order rotating.`,
    'Each variant is compared with its baseline, measured in the same run: mean req/s over the rounds, and the median over the rounds of',
    'the server process\'s CPU time per request (warm-up included), which a busy machine disturbs far less than req/s.',
    '',
    '| variant | what | req/s per round | mean req/s | vs baseline | server CPU per request (µs), per round | median | vs baseline | p50 (ms) | p99 (ms) | valid |',
    '| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |'
  ]
  const cpu = (name) => valid(name).map((result) => result.cpuUsPerRequest).filter((value) => value !== null)
  for (const name of config.variants) {
    const { about, baseline } = VARIANTS[name]
    const runs = results.filter((result) => result.variant === name)
    const figures = rps(name)
    const base = baseline === null ? [] : rps(baseline)
    const ratio = figures.length === 0 || base.length === 0 ? (baseline === null ? 'baseline' : 'n/a') : `${(mean(figures) / mean(base)).toFixed(3)} of ${baseline}`
    const latency = (key) => figures.length === 0 ? 'n/a' : mean(valid(name).map((result) => result.load.latency[key])).toFixed(3)
    const problems = runs.flatMap((result) => result.problems)
    const cpus = cpu(name)
    const baseCpu = baseline === null ? [] : cpu(baseline)
    // Less CPU per request is more throughput: the ratio is baseline / variant, like req/s.
    const cpuRatio = cpus.length === 0 || baseCpu.length === 0 ? (baseline === null ? 'baseline' : 'n/a') : `${(median(baseCpu) / median(cpus)).toFixed(3)} of ${baseline}`
    lines.push(`| ${name} | ${about} | ${figures.map((value) => value.toFixed(0)).join(', ')} | ${figures.length === 0 ? 'n/a' : mean(figures).toFixed(0)} | ${ratio} | ${cpus.map((value) => value.toFixed(1)).join(', ')} | ${cpus.length === 0 ? 'n/a' : median(cpus).toFixed(1)} | ${cpuRatio} | ${latency('p50')} | ${latency('p99')} | ${problems.length === 0 ? 'yes' : `NO: ${problems.join('; ')}`} |`)
  }
  if (micro.length > 0) {
    lines.push('', `In-process: \`McpServer.handleRequest\` of \`tools/call echo\` alone, ${config.micro} calls per run after a warm-up, median of ${config.rounds} run(s) per variant.`,
      'The added cost is what the variant costs the engine per call; "of a request" sets it against the time of a whole HTTP request of the baseline (1 / its best req/s above: one server core).', '',
      '| variant | ns per call (runs) | median | added per call | of a request |', '| --- | --- | ---: | ---: | ---: |')
    for (const name of config.variants) {
      const { baseline } = VARIANTS[name]
      const runs = micro.filter((run) => run.variant === name).map((run) => run.nsPerCall)
      const added = baseline === null ? null : median(runs) - median(micro.filter((run) => run.variant === baseline).map((run) => run.nsPerCall))
      // The least disturbed round of the baseline: on a busy machine, the closest to one request's CPU time.
      const perRequest = baseline === null || rps(baseline).length === 0 ? null : 1e9 / Math.max(...rps(baseline))
      lines.push(`| ${name} | ${runs.map((value) => value.toFixed(0)).join(', ')} | ${median(runs).toFixed(0)} | ${added === null ? 'baseline' : `${added.toFixed(0)} ns`} | ${added === null || perRequest === null ? '' : `${(100 * added / perRequest).toFixed(1)} %`} |`)
    }
  }
  lines.push('', `- node ${env.node}, fastify ${env.fastify}, prom-client ${env.promClient}, @opentelemetry/api ${env.otelApi}, @opentelemetry/sdk-trace-base ${env.otelSdk}, autocannon ${env.autocannon}`)
  lines.push(`- cpu: ${env.cpu}, ${env.cores} cores (${PIN ? 'server on core 1, load generator on core 0 (taskset)' : 'servers and load generator share them'}); load average at start ${env.loadavg}; git ${env.git}; ${env.date}`, '')
  return lines.join('\n')
}

async function main () {
  const config = parseCli()
  if (config.serve !== undefined) return serve(config.serve)
  if (config.microLoop !== undefined) return microLoop(config.microLoop, config.micro)
  if (!existsSync(path.join(metricsDir, 'dist/index.js')) || !existsSync(path.join(root, 'examples/conformance/dist/app.js'))) {
    die('build first: pnpm run build')
  }
  const env = environment({
    versions: {
      fastify: packageVersion('fastify'),
      autocannon: packageVersion('autocannon'),
      promClient: packageVersion('prom-client', fromMetrics),
      otelApi: packageVersion('@opentelemetry/api', fromMetrics),
      otelSdk: packageVersion('@opentelemetry/sdk-trace-base', fromMetrics)
    },
    loadavg: true
  })
  const results = []
  const micro = []
  // Rotate the order each round: no variant always runs first, or right after the same one.
  const order = (round) => config.variants.map((_, index) => config.variants[(index + round) % config.variants.length])
  for (let round = 0; round < config.rounds; round++) {
    for (const variant of order(round)) results.push({ round, ...await measure(variant, config) })
  }
  if (config.micro > 0) {
    for (let round = 0; round < config.rounds; round++) {
      for (const variant of order(round)) {
        process.stderr.write(`bench/metrics: ${variant}: in-process, ${config.micro} calls\n`)
        micro.push({ round, ...await runMicro(variant, config.micro) })
      }
    }
  }
  const markdown = report(config, results, micro, env)
  process.stdout.write(`\n${markdown}`)
  const dir = path.join(benchDir, 'results')
  mkdirSync(dir, { recursive: true })
  const stamp = env.date.replace(/[:.]/g, '-')
  writeFileSync(path.join(dir, `metrics-${stamp}.md`), markdown)
  writeFileSync(path.join(dir, `metrics-${stamp}.json`), `${JSON.stringify({ environment: env, config, variants: VARIANTS, results, micro }, null, 2)}\n`)
  process.stderr.write(`bench/metrics: wrote bench/results/metrics-${stamp}.md and .json\n`)
  if (results.some((result) => !result.valid)) process.exitCode = 1
}

await main()
