// The server of the streams benchmark (bench/streams.mjs), one process per measurement (or per
// node of a cluster), driven by its parent over IPC.
//
//   MODE=mcp  ours: mcp-session (memory store, or Redis with REDIS_URL) and mcp-transport with the
//             deprecated HTTP+SSE transport on too, the conformance fixture's tools: 2025-11-25
//             GET streams, HTTP+SSE streams (GET /sse) and 2026-07-28 `subscriptions/listen`
//             streams, as a dual-era deployment serves them
//   MODE=raw  the baseline: a plain Fastify GET /raw answered by a hijacked `text/event-stream`
//             response held open, one shared timer writing a keep-alive comment to every stream, a
//             broadcast writing one prebuilt frame to each, both 512 streams a turn of the event
//             loop: the floor of a held stream in Fastify
//
// Environment: PORT, KEEP_ALIVE_MS (default 15000), MAX_STREAMS (the streams this process must
// allow), MAX_SESSIONS (the live sessions of the whole cluster), REDIS_URL and KEY_PREFIX (a
// cluster node).
//
// IPC: every message { id, cmd, ... } is answered { id, ... }:
//   stats { gc, fds }   memory (after two full GCs when asked and --expose-gc is on), CPU time
//                       (process.cpuUsage, µs: user + system, and system alone), open streams by
//                       kind, open file descriptors (asked)
//   eld { reset, enable }  event-loop delay since the last reset (monitorEventLoopDelay, 10 ms
//                       resolution, the resolution subtracted): p50, p99, max, mean in ms; the
//                       monitor turned off or on (its timer costs CPU of its own)
//   broadcast           registers one more tool (MODE=mcp: `notifications/tools/list_changed` to
//                       every stream of every era; MODE=raw: the prebuilt frame written to each)
//                       -> { t0 } (process.hrtime, ms: the clock the clients read too) and the
//                       synchronous time the registration took
//   profile-start, profile-stop { file }   a V8 CPU profile (node:inspector) of what runs between
//                       them, written to `file`, summarised by self time
//   heap-snapshot { file }                 v8.writeHeapSnapshot
import { channel } from 'node:diagnostics_channel'
import { readdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import v8 from 'node:v8'
import Fastify from 'fastify'
import { HOST, memoryStats } from '../common.mjs'

const mode = process.env.MODE ?? 'mcp'
const port = Number(process.env.PORT ?? 3000)
const keepAliveMs = Number(process.env.KEEP_ALIVE_MS ?? 15_000)
const maxStreams = Number(process.env.MAX_STREAMS ?? 20_000)
// Live sessions are counted across the nodes sharing a Redis: the limit is the cluster's.
const maxSessions = Number(process.env.MAX_SESSIONS ?? maxStreams + 10_000)
const redis = process.env.REDIS_URL || undefined
const keyPrefix = process.env.KEY_PREFIX || undefined
const RESOLUTION_MS = 10
const SLICE = 512
const now = () => Number(process.hrtime.bigint()) / 1e6

const streams = { get: 0, legacy: 0, listen: 0, post: 0, raw: 0 }

async function buildOurs () {
  const { default: mcpSession } = await import('@mcp-fastify/mcp-session')
  const { default: mcpTransport } = await import('@mcp-fastify/mcp-transport')
  const { declareFixtures } = await import('@mcp-fastify/example-conformance')
  channel('mcp-fastify:sse:open').subscribe((event) => { streams[event.kind]++ })
  channel('mcp-fastify:sse:close').subscribe((event) => { streams[event.kind]-- })
  const app = Fastify({ logger: false })
  await app.register(mcpSession, {
    maxSessions,
    ...(redis === undefined ? {} : { redis, ...(keyPrefix === undefined ? {} : { keyPrefix }) })
  })
  await app.register(mcpTransport, {
    path: '/mcp',
    keepAliveMs,
    legacySse: { maxConnections: maxStreams + 1000 },
    serverInfo: { name: 'mcp-fastify-bench-streams', version: '1.0.0' }
  })
  declareFixtures(app.mcp)
  let added = 0
  const broadcast = () => {
    const name = `bench_tool_${++added}`
    app.mcp.tool({ name, description: 'Added by the streams benchmark', handler: () => ({ content: [{ type: 'text', text: name }] }) })
  }
  return { app, broadcast }
}

function buildRaw () {
  const app = Fastify({ logger: false })
  const open = new Set()
  const KEEP_ALIVE = ': keepalive\n\n'
  const FRAME = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })}\n\n`
  app.get('/raw', (request, reply) => {
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' })
    raw.flushHeaders()
    open.add(raw)
    streams.raw++
    raw.once('close', () => { open.delete(raw); streams.raw-- })
  })
  // Written SLICE streams at a time, a turn of the event loop in between (as ours does since
  // 2b90e21): all of them in one turn is slower (every write corks its socket until a nextTick,
  // so nothing leaves before the whole loop is done) and stalls the loop.
  const writeAll = (chunk) => {
    const targets = [...open]
    const slice = (from) => {
      const to = Math.min(targets.length, from + SLICE)
      for (let i = from; i < to; i++) if (!targets[i].destroyed) targets[i].write(chunk)
      if (to < targets.length) setImmediate(slice, to)
    }
    slice(0)
  }
  if (keepAliveMs > 0) setInterval(() => writeAll(KEEP_ALIVE), keepAliveMs).unref()
  const broadcast = () => writeAll(FRAME)
  return { app, broadcast }
}

const { app, broadcast } = mode === 'raw' ? buildRaw() : await buildOurs()

const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
eld.enable()
const delay = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)

let profiler = null
// What a CPU profile spent its busy time on (idle left out): the top functions by self time,
// and the same time by where the code lives (node's own, fastify, each of our packages...).
function summarise (profile, top = 15) {
  const total = (profile.endTime - profile.startTime) / 1000
  const samples = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1
  const msOf = (hits) => hits / samples * total
  const byFunction = new Map()
  const byPlace = new Map()
  let idle = 0
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') { idle += hits; continue }
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\/(packages|examples|bench)\//, '$1/')
    const key = `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits)
    const place = file === '' ? (functionName.startsWith('(') ? functionName : '(native: V8 and libuv calls)') : file.startsWith('node:') ? 'node: (core modules)' : file.startsWith('packages/') ? file.split('/').slice(0, 2).join('/') : file.split('/')[0].startsWith('@') ? file.split('/').slice(0, 2).join('/') : file.split('/')[0]
    byPlace.set(place, (byPlace.get(place) ?? 0) + hits)
  }
  const rank = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, hits]) => ({ name, ms: msOf(hits), share: hits / (samples - idle || 1) }))
  return { ms: total, busyMs: msOf(samples - idle), top: rank(byFunction), places: rank(byPlace) }
}

const commands = {
  stats ({ gc, fds: countFds }) {
    const memory = gc ? memoryStats() : process.memoryUsage()
    let fds = null
    if (countFds) try { fds = readdirSync('/proc/self/fd').length } catch {}
    const { user, system } = process.cpuUsage()
    return { memory, cpuUs: user + system, systemUs: system, streams: { ...streams }, fds }
  },
  eld ({ reset, enable }) {
    // The monitor's own timer costs about 0.35 % of a core here: it is off while idle CPU is measured.
    if (enable === false) eld.disable()
    if (enable === true) eld.enable()
    const figures = { p50: delay(eld.percentile(50)), p99: delay(eld.percentile(99)), max: delay(eld.max), mean: delay(eld.mean), samples: eld.count }
    if (reset) eld.reset()
    return figures
  },
  broadcast () {
    const t0 = now()
    broadcast()
    return { t0, syncMs: now() - t0 }
  },
  async 'profile-start' () {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 })
    await profiler.post('Profiler.start')
    return {}
  },
  async 'profile-stop' ({ file }) {
    const { profile } = await profiler.post('Profiler.stop')
    profiler.disconnect()
    profiler = null
    writeFileSync(file, JSON.stringify(profile))
    return summarise(profile)
  },
  'heap-snapshot' ({ file }) {
    return { file: v8.writeHeapSnapshot(file) }
  }
}

process.on('message', async (message) => {
  try {
    process.send({ id: message.id, ok: true, ...await commands[message.cmd](message) })
  } catch (error) {
    process.send({ id: message.id, ok: false, error: error.stack })
  }
})
// Held streams would keep app.close() waiting for them: a benchmark server just exits.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0))
process.once('disconnect', () => process.exit(0))
await app.listen({ port, host: HOST })
process.send({ id: 0, ok: true, listening: port })
