// The per-request cost of each 2026-07-28 stack of bench/modern.mjs, with no sockets and no
// load generator: every target in ONE process, called through light-my-request (Fastify's
// `inject`; the SDK's node:http listener directly), one request at a time, the targets taking
// turns every batch. A machine whose speed drifts (other work on its cores) then weighs on all
// targets alike, which makes the ratios far steadier than req/s over HTTP; what it leaves out
// is the HTTP parser and the socket writes, the same for every Fastify target.
//
//   node --expose-gc bench/modern-inject.mjs [--cycles <n>] [--batch <n>]
//
// Per target and cycle: CPU time (process.cpuUsage, user + system) per request over a batch
// (`batch` requests; a tenth of that for the SDK, ten times slower). Reported: the median over
// the cycles (the first two are warm-up), and, against raw Fastify in the same cycle, the median
// of the differences (what the stack adds per request: light-my-request's own cost cancels out)
// and of the ratios (which that shared cost pulls toward 1).
// Targets: raw-fastify, mcp-fastify (stateless), mcp-fastify-sessions (2026-07-28 with mcp-session
// registered), mcp-fastify-2025 (that app at 2025-11-25, in a session), sdk-v2.
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { benchDir, environment, median, packageVersion } from './common.mjs'
import { build as buildOurs } from './servers/modern.mjs'
import { build as buildRaw } from './servers/raw-fastify-modern.mjs'
import { listener as sdkListener } from './servers/sdk-v2.mjs'

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '12' }, batch: { type: 'string', default: '2000' } } })
const cycles = Number(values.cycles)
const batch = Number(values.batch)
if (!Number.isInteger(cycles) || cycles < 3 || cycles > 200 || !Number.isInteger(batch) || batch < 10 || batch > 100_000) {
  process.stderr.write('usage: node bench/modern-inject.mjs [--cycles 3..200] [--batch 10..100000]\n')
  process.exit(2)
}
const WARMUP_CYCLES = 2

// light-my-request, as Fastify has it (for the SDK's plain listener).
const fromFastify = createRequire(createRequire(path.join(benchDir, 'package.json')).resolve('fastify'))
const { default: inject } = await import(pathToFileURL(fromFastify.resolve('light-my-request')).href)

const VERSION = '2026-07-28'
const META = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} }
const MODERN_HEADERS = {
  'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'echo', host: '127.0.0.1'
}
const modernBody = (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' }, _meta: META } })
const legacyBody = (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } })

/** A 2025-11-25 session on `app`: the headers of its calls. */
async function session (app) {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: '127.0.0.1' }
  const init = await app.inject({ method: 'POST', url: '/mcp', headers: base, payload: { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } } })
  const headers = { ...base, 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': init.headers['mcp-session-id'] }
  await app.inject({ method: 'POST', url: '/mcp', headers, payload: { jsonrpc: '2.0', method: 'notifications/initialized' } })
  return headers
}

const raw = buildRaw()
const ours = await buildOurs('stateless')
const oursSessions = await buildOurs('sessions')
const ours2025 = await buildOurs('sessions')
await Promise.all([raw.ready(), ours.ready(), oursSessions.ready(), ours2025.ready()])
const legacyHeaders = await session(ours2025)

const fastifyCall = (app, headers, body) => (id) => app.inject({ method: 'POST', url: '/mcp', headers, payload: body(id) })
const TARGETS = [
  { name: 'raw-fastify', call: fastifyCall(raw, MODERN_HEADERS, modernBody), scale: 1 },
  { name: 'mcp-fastify', call: fastifyCall(ours, MODERN_HEADERS, modernBody), scale: 1 },
  { name: 'mcp-fastify-sessions', call: fastifyCall(oursSessions, MODERN_HEADERS, modernBody), scale: 1 },
  { name: 'mcp-fastify-2025', call: fastifyCall(ours2025, legacyHeaders, legacyBody), scale: 1 },
  { name: 'sdk-v2', call: (id) => inject(sdkListener, { method: 'POST', url: '/mcp', headers: MODERN_HEADERS, payload: modernBody(id) }), scale: 0.1 }
]

// One real call each: a 200 JSON answer echoing the text (a complete result at 2026-07-28).
for (const target of TARGETS) {
  const response = await target.call(1)
  const text = response.payload
  const modern = target.name !== 'mcp-fastify-2025'
  if (response.statusCode !== 200 || !text.includes('"text":"hello"') || text.includes('"error"') || (modern && !text.includes('"resultType":"complete"'))) {
    process.stderr.write(`bench/modern-inject: ${target.name}: HTTP ${response.statusCode}: ${text.slice(0, 300)}\n`)
    process.exit(1)
  }
}

const perRequest = Object.fromEntries(TARGETS.map((t) => [t.name, []]))
let id = 2
for (let cycle = 0; cycle < cycles; cycle++) {
  // The order rotates, so no target always runs right after the same one.
  for (let i = 0; i < TARGETS.length; i++) {
    const target = TARGETS[(i + cycle) % TARGETS.length]
    const count = Math.max(1, Math.round(batch * target.scale))
    globalThis.gc?.()
    const start = process.cpuUsage()
    for (let n = 0; n < count; n++) {
      const response = await target.call(id++)
      if (response.statusCode !== 200) throw new Error(`${target.name}: HTTP ${response.statusCode}: ${response.payload.slice(0, 300)}`)
    }
    const used = process.cpuUsage(start)
    if (cycle >= WARMUP_CYCLES) perRequest[target.name].push((used.user + used.system) / count)
  }
}

const env = environment({ versions: { fastify: packageVersion('fastify'), sdkServer: packageVersion('@modelcontextprotocol/server') }, loadavg: true })
const ratios = (name) => perRequest['raw-fastify'].map((rawUs, cycle) => rawUs / perRequest[name][cycle])
const lines = [
  `In-process, interleaved (${cycles - WARMUP_CYCLES} measured cycles after ${WARMUP_CYCLES} of warm-up, batches of ${batch} requests, ${batch / 10} for sdk-v2): CPU time per \`tools/call\` of echo, no sockets.`,
  '',
  '| target | CPU per request (µs), median | min / max over the cycles | added to raw-fastify\'s (µs, median of the per-cycle differences) | raw-fastify / target (median of the per-cycle ratios) |',
  '| --- | ---: | --- | ---: | ---: |'
]
const added = (name) => perRequest[name].map((us, cycle) => us - perRequest['raw-fastify'][cycle])
for (const { name } of TARGETS) {
  const values = perRequest[name]
  lines.push(`| ${name} | ${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)} / ${Math.max(...values).toFixed(1)} | ${median(added(name)).toFixed(1)} | ${median(ratios(name)).toFixed(3)} |`)
}
lines.push('', `- node ${env.node}, fastify ${env.fastify}, @modelcontextprotocol/server ${env.sdkServer}; ${env.cpu}, ${env.cores} cores; load average ${env.loadavg}; git ${env.git}; ${env.date}`, '')
process.stdout.write(`${lines.join('\n')}\n`)
await Promise.all([raw.close(), ours.close(), oursSessions.close(), ours2025.close()])
process.exit(0)
