// Open streams at scale (issue 11): N streams held by one server process (or by several nodes
// sharing a Redis), what each costs the server, and how fast a broadcast reaches all of them.
//
//   node bench/streams.mjs [--streams 10000] [--rate 2000] [--kinds raw,get,legacy,listen]
//                          [--keep-alive 15000] [--idle <s>] [--settle 30] [--broadcasts 5] [--clients <n>]
//                          [--nodes 1] [--redis <url>] [--max-in-flight 1000]
//                          [--profile <dir>] [--heap-snapshot <dir>] [--revision <text>]
//
// Per kind of stream, in a fresh server process (bench/servers/streams.mjs) and fresh client
// processes (bench/streams-clients.mjs, raw sockets from 127.0.0.2 and up):
//
//   1. warm-up: 200 streams opened, one broadcast, closed (the code paths compiled)
//   2. baseline: the server's memory after two full GCs
//   3. ramp: N streams opened at `rate` a second (the clients' schedule, at most `max-in-flight`
//      opening at once); the server's event-loop delay during the ramp (p50, p99, max)
//   4. held: the server's memory after two full GCs; per stream = (held - baseline) / N
//   5. idle: `settle` seconds after the memory was measured (V8 finishes its collections on its
//      own threads), the server's CPU time over `idle` seconds with every stream open (at least
//      one keep-alive interval), as a % of one core, user + system
//   6. broadcasts: one at a time, a tool registered on the server (over IPC: no request in the
//      way) sends `notifications/tools/list_changed` to every stream; the latency of a stream is
//      from the registration (process.hrtime in the server) to the moment the client process
//      reads the notification off the socket (process.hrtime there: one clock for both)
//
// kinds: raw     the baseline: a hijacked SSE response in plain Fastify, one shared keep-alive
//                timer, a broadcast writing one prebuilt frame to each stream
//        get     2025-11-25: a session each (initialize, notifications/initialized), its GET stream
//        legacy  the deprecated HTTP+SSE transport: GET /sse, initialize POSTed to its endpoint
//        listen  2026-07-28 `subscriptions/listen` streams (no session)
//
// --nodes 3 (opt-in): the same over three server processes sharing a Redis (mcp-session's
// `redis`, a key prefix of the run's own, deleted afterwards), stream g on node g % 3; the
// broadcast is made on node 0 and reaches the others through the Redis bus. kinds: get, listen.
//
// Every process needs a file descriptor per stream: the limit (ulimit -n) bounds the streams of a
// node and of a client process; both are checked before starting. The report (markdown) goes to
// stdout and, with the JSON of every figure, to bench/results/. Needs `pnpm run build`.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchDir, environment, freePort, packageVersion, root, track } from './common.mjs'

const KINDS = ['raw', 'get', 'legacy', 'listen']
const CLUSTER_KINDS = ['get', 'listen']
const WARM_UP = 200
const TARGETS = { streams: 19_500, rssPerStreamKiB: 6, broadcastP99Ms: 150, idleCpuPercent: 1, rampDelayP99Ms: 50, rampRate: 2000, clusterStreams: 50_000, clusterReachP99Ms: 1000 }

// ---- options --------------------------------------------------------------------------------

function die (message) {
  process.stderr.write(`bench/streams: ${message}\n`)
  process.exit(2)
}

function openFilesLimit () {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    return Number(line.split(/\s+/)[3])
  } catch {
    return null
  }
}

function parseCli () {
  let values
  try {
    ({ values } = parseArgs({
      options: {
        streams: { type: 'string', default: '10000' },
        rate: { type: 'string', default: '2000' },
        kinds: { type: 'string' },
        'keep-alive': { type: 'string', default: '15000' },
        idle: { type: 'string' },
        settle: { type: 'string', default: '30' },
        broadcasts: { type: 'string', default: '5' },
        clients: { type: 'string' },
        nodes: { type: 'string', default: '1' },
        redis: { type: 'string', default: process.env.REDIS_URL || 'redis://127.0.0.1:6379' },
        'max-in-flight': { type: 'string', default: '4000' },
        'open-timeout': { type: 'string', default: '30' },
        'broadcast-timeout': { type: 'string', default: '30' },
        profile: { type: 'string' },
        'heap-snapshot': { type: 'string' },
        revision: { type: 'string' }
      }
    }))
  } catch (error) {
    die(error.message)
  }
  const number = (name, min, max = Infinity, value = values[name]) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) die(`--${name} must be an integer from ${min} to ${max}, got ${value}`)
    return n
  }
  const nodes = number('nodes', 1, 10)
  const allowed = nodes > 1 ? CLUSTER_KINDS : KINDS
  const kinds = (values.kinds ?? allowed.join(',')).split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = kinds.filter((k) => !allowed.includes(k))
  if (unknown.length > 0) die(`unknown --kinds ${unknown.join(', ')}; known${nodes > 1 ? ' with --nodes' : ''}: ${allowed.join(', ')}`)
  const streams = number('streams', 1, 200_000)
  const keepAliveMs = number('keep-alive', 0, 600_000)
  const idle = values.idle === undefined ? Math.max(5, Math.ceil(keepAliveMs / 1000)) : number('idle', 1, 3600)
  if (keepAliveMs > 0 && idle * 1000 < keepAliveMs) process.stderr.write(`bench/streams: warning: --idle ${idle} s is shorter than one keep-alive interval (${keepAliveMs} ms)\n`)
  const clients = values.clients === undefined ? Math.max(2, Math.ceil(streams / 10_000)) : number('clients', 1, 64)
  // A file descriptor per stream in the server and in the client process holding it, plus a margin.
  const limit = openFilesLimit()
  const perNode = Math.ceil(streams / nodes) + 300
  const perClient = Math.ceil(streams / clients) + 100
  if (limit !== null && perNode > limit) die(`${streams} streams over ${nodes} node(s) need about ${perNode} open files per server process; the limit here is ${limit} (ulimit -n): use --nodes, or raise the limit`)
  if (limit !== null && perClient > limit) die(`${streams} streams over ${clients} client process(es) need about ${perClient} open files each; the limit is ${limit}: use --clients`)
  return {
    streams,
    rate: number('rate', 1, 100_000),
    kinds,
    keepAliveMs,
    idle,
    settle: number('settle', 0, 600),
    broadcasts: number('broadcasts', 1, 100),
    clients,
    nodes,
    redis: values.redis,
    maxInFlight: number('max-in-flight', 1, 100_000),
    openTimeoutMs: number('open-timeout', 1, 600) * 1000,
    broadcastTimeoutMs: number('broadcast-timeout', 1, 600) * 1000,
    profile: values.profile === undefined ? null : path.resolve(values.profile),
    heapSnapshot: values['heap-snapshot'] === undefined ? null : path.resolve(values['heap-snapshot']),
    openFilesLimit: limit,
    revision: values.revision ?? null
  }
}

const config = parseCli()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`bench/streams: interrupted (${signal})\n`)
    process.exit(130) // the tracked children are killed on exit (common.mjs)
  })
}
// The share of the last 60 s in which some runnable task waited for a core (Linux PSI), in %:
// how much other work competed with the benchmark for the cores.
function cpuPressure () {
  try {
    return Number(/avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1])
  } catch {
    return null
  }
}
// Listen-queue overflows so far (Linux, the whole machine): connections the kernel dropped or
// reset because a server did not accept them fast enough.
function listenOverflows () {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'))
    const names = lines[0].split(' ')
    const counts = lines[1].split(' ')
    return Number(counts[names.indexOf('ListenOverflows')])
  } catch {
    return null
  }
}
const log = (message) => process.stderr.write(`bench/streams: ${message}\n`)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---- processes, over IPC ----------------------------------------------------------------------

/** A child answering { id, cmd } messages with { id, ok }: `ask(cmd, args)` resolves with the answer. */
function rpc (child, name) {
  let nextId = 1
  const waiting = new Map()
  let output = ''
  const keep = (chunk) => { output = (output + chunk).slice(-4000) }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  const ready = new Promise((resolve, reject) => {
    waiting.set(0, { resolve, reject })
  })
  child.on('message', (message) => {
    const entry = waiting.get(message.id)
    if (entry === undefined) return
    waiting.delete(message.id)
    if (message.ok) entry.resolve(message)
    else entry.reject(new Error(`${name}: ${message.error}`))
  })
  child.on('exit', (code, signal) => {
    for (const entry of waiting.values()) entry.reject(new Error(`${name} exited (code ${code}, signal ${signal}): ${output.trim().slice(-1500)}`))
    waiting.clear()
  })
  return {
    child,
    name,
    ready,
    ask (cmd, args = {}, timeoutMs = 60_000) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`${name}: no answer to ${cmd} within ${timeoutMs} ms`)) }, timeoutMs)
        waiting.set(id, {
          resolve: (value) => { clearTimeout(timer); resolve(value) },
          reject: (error) => { clearTimeout(timer); reject(error) }
        })
        child.send({ id, cmd, ...args })
      })
    },
    stop () {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => { clearTimeout(timer); resolve() })
        child.kill('SIGTERM')
      })
    }
  }
}

async function startServer (mode, port, node, keyPrefix) {
  const env = { ...process.env, MODE: mode, PORT: String(port), KEEP_ALIVE_MS: String(config.keepAliveMs), MAX_STREAMS: String(Math.ceil(config.streams / config.nodes) + WARM_UP + 1000), MAX_SESSIONS: String(config.streams + 2 * WARM_UP + 10_000) }
  delete env.REDIS_URL
  if (keyPrefix !== undefined) Object.assign(env, { REDIS_URL: config.redis, KEY_PREFIX: keyPrefix })
  const server = rpc(track(fork(path.join(benchDir, 'servers/streams.mjs'), [], {
    cwd: root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--expose-gc', '--max-old-space-size=4096']
  })), `server ${node}`)
  await server.ready
  return server
}

async function startClients () {
  const clients = []
  for (let i = 0; i < config.clients; i++) {
    clients.push(rpc(track(fork(path.join(benchDir, 'streams-clients.mjs'), [], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=4096']
    })), `clients ${i}`))
  }
  await Promise.all(clients.map((c) => c.ready))
  return clients
}

// Source addresses: a block of its own for each ramp, from 127.0.0.2 up to 127.0.0.254, so that
// sockets of an earlier ramp waiting in TIME_WAIT never hold the ports of a later one; at most
// 2,000 sockets an address, because the kernel's search for a free port (a bind to port 0, which
// `localAddress` makes) costs more and more system time as the address's ports fill: here about
// 60 µs a connection up to 2,500 sockets on one address, 0.6 ms past 5,000.
const PER_ADDRESS = 2000
let addressCursor = 0
function addresses (count) {
  const n = Math.min(253, Math.max(2, Math.ceil(count / PER_ADDRESS)))
  const block = []
  for (let i = 0; i < n; i++) block.push(`127.0.0.${2 + (addressCursor++ % 253)}`)
  return block
}

/** Opens `count` streams over every client process at `rate` a second in all. */
async function openAll (clients, kind, ports, count, rate) {
  const block = addresses(count)
  let first = 0
  const results = await Promise.all(clients.map((client, i) => {
    const share = Math.floor(count / clients.length) + (i < count % clients.length ? 1 : 0)
    const args = {
      kind,
      ports,
      count: share,
      first,
      rate: rate / clients.length,
      addresses: block,
      maxInFlight: Math.max(1, Math.floor(config.maxInFlight / clients.length)),
      timeoutMs: config.openTimeoutMs
    }
    first += share
    return client.ask('open', args, count / rate * 1000 + config.openTimeoutMs * 4 + 60_000)
  }))
  const sum = (key) => results.reduce((total, r) => total + r[key], 0)
  return {
    opened: sum('opened'),
    failed: sum('failed'),
    firstError: results.find((r) => r.firstError !== null)?.firstError ?? null,
    ms: Math.max(...results.map((r) => r.ms)),
    launchMs: Math.max(...results.map((r) => r.launchMs)),
    clientsCpuMs: results.reduce((total, r) => total + r.cpuMs, 0),
    behindMs: Math.max(...results.map((r) => r.behindMs)),
    // Per client process (their percentiles cannot be merged exactly): the worst of them.
    openMs: { p50: Math.max(...results.map((r) => r.openMs.p50 ?? 0)), p99: Math.max(...results.map((r) => r.openMs.p99 ?? 0)), max: Math.max(...results.map((r) => r.openMs.max ?? 0)) },
    addresses: `${block[0]}-${block.at(-1)}`
  }
}

const percentile = (sorted, p) => sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
const spread = (values) => {
  const sorted = Float64Array.from(values).sort()
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100), count: sorted.length }
}

/** One broadcast made on `servers[0]`, heard by every stream of the clients: latencies as received. */
async function broadcastOnce (servers, clients, seq, ports) {
  await Promise.all(clients.map((c) => c.ask('arm', { seq })))
  const cpuBefore = await Promise.all(servers.map((s) => s.ask('stats', { gc: false })))
  const { t0, syncMs } = await servers[0].ask('broadcast')
  const heard = await Promise.all(clients.map((c) => c.ask('collect', { timeoutMs: config.broadcastTimeoutMs }, config.broadcastTimeoutMs + 30_000)))
  // The servers' CPU time from just before the broadcast until every stream heard it: what the
  // fan-out costs, which (unlike its latency) a machine busy with other work hardly changes.
  const cpuAfter = await Promise.all(servers.map((s) => s.ask('stats', { gc: false })))
  const cpuMs = servers.map((_, n) => (cpuAfter[n].cpuUs - cpuBefore[n].cpuUs) / 1000)
  const systemMs = servers.map((_, n) => (cpuAfter[n].systemUs - cpuBefore[n].systemUs) / 1000)
  const latencies = heard.flatMap((h) => h.times.map((t) => t - t0))
  const byNode = ports.map((port) => spread(heard.flatMap((h) => (h.byPort[port] ?? []).map((t) => t - t0))))
  return { seq, syncMs, cpuMs, systemMs, ...spread(latencies), missing: heard.reduce((n, h) => n + h.missing, 0), byNode: ports.length > 1 ? byNode : undefined, latencies }
}

async function waitForStreams (servers, kind, expected, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  let counts
  for (;;) {
    counts = await Promise.all(servers.map((s) => s.ask('stats', { gc: false })))
    const total = counts.reduce((n, c) => n + c.streams[kind], 0)
    if (total === expected || Date.now() > deadline) return total
    await sleep(200)
  }
}

// ---- one kind ----------------------------------------------------------------------------------------

async function measure (kind) {
  const result = { kind, nodes: config.nodes, streams: config.streams, loadavgStart: os.loadavg().map((v) => v.toFixed(2)).join(' '), cpuPressureStart: cpuPressure() }
  const keyPrefix = config.nodes > 1 ? `bench:streams:${randomBytes(4).toString('hex')}:` : undefined
  const servers = []
  let clients = []
  const profiles = {}
  const profile = async (phase, run) => {
    if (config.profile === null) return run()
    await servers[0].ask('profile-start')
    try {
      return await run()
    } finally {
      const file = path.join(config.profile, `streams-${kind}-${config.streams}-${phase}-${Date.now()}.cpuprofile`)
      profiles[phase] = { file, ...await servers[0].ask('profile-stop', { file }, 120_000) }
    }
  }
  try {
    const ports = []
    for (let node = 0; node < config.nodes; node++) {
      ports.push(await freePort())
      servers.push(await startServer(kind === 'raw' ? 'raw' : 'mcp', ports[node], node, keyPrefix))
    }
    clients = await startClients()
    const stats = (gc) => Promise.all(servers.map((s) => s.ask('stats', { gc }, 120_000)))
    const delays = (reset) => Promise.all(servers.map((s) => s.ask('eld', { reset })))
    const perNode = (n) => Math.floor(config.streams / config.nodes) + (n < config.streams % config.nodes ? 1 : 0)

    log(`${kind}: warm-up (${WARM_UP} streams)`)
    const warm = await openAll(clients, kind, ports, WARM_UP, Math.min(config.rate, 1000))
    if (warm.failed > 0) throw new Error(`${warm.failed} of ${WARM_UP} warm-up streams failed: ${warm.firstError}`)
    await waitForStreams(servers, kind, WARM_UP)
    await broadcastOnce(servers, clients, 1, ports)
    await Promise.all(clients.map((c) => c.ask('close')))
    await waitForStreams(servers, kind, 0)
    await sleep(500)

    result.before = await stats(true)
    if (config.heapSnapshot !== null) {
      result.heapBefore = (await servers[0].ask('heap-snapshot', { file: path.join(config.heapSnapshot, `streams-${kind}-before-${Date.now()}.heapsnapshot`) }, 600_000)).file
    }

    log(`${kind}: opening ${config.streams} streams at ${config.rate}/s over ${config.nodes} node(s) and ${config.clients} client process(es)`)
    await delays(true)
    const rampCpu = await stats(false)
    const overflowsBefore = listenOverflows()
    result.open = await profile('ramp', () => openAll(clients, kind, ports, config.streams, config.rate))
    result.rampDelay = await delays(true)
    result.open.listenOverflows = overflowsBefore === null ? null : listenOverflows() - overflowsBefore
    // CPU during the ramp, in % of one core: is the server, or are the clients, the bottleneck?
    result.rampCpuPercent = {
      servers: (await stats(false)).map((s, n) => (s.cpuUs - rampCpu[n].cpuUs) / 10 / result.open.ms),
      clients: result.open.clientsCpuMs * 100 / result.open.ms
    }
    result.rampCpuUsPerStream = result.rampCpuPercent.servers.reduce((a, c) => a + c, 0) * 10 * result.open.ms / result.open.opened
    log(`${kind}: ${result.open.opened} opened in ${(result.open.ms / 1000).toFixed(1)} s, ${result.open.failed} failed${result.open.firstError ? ` (${result.open.firstError})` : ''}`)
    result.serverStreams = await waitForStreams(servers, kind, result.open.opened)

    result.held = await Promise.all(servers.map((s) => s.ask('stats', { gc: true, fds: true }, 120_000)))
    if (config.heapSnapshot !== null) {
      result.heapHeld = (await servers[0].ask('heap-snapshot', { file: path.join(config.heapSnapshot, `streams-${kind}-held-${Date.now()}.heapsnapshot`) }, 600_000)).file
    }
    result.perStream = servers.map((_, n) => {
      const count = result.held[n].streams[kind]
      const delta = (key) => (result.held[n].memory[key] - result.before[n].memory[key]) / count
      return { streams: count, rss: delta('rss'), heapUsed: delta('heapUsed'), external: delta('external') }
    })

    // After a ramp V8 goes on collecting for a while on its own threads (concurrent sweeping, the
    // memory reducer's GCs once allocation stops): hundreds of ms of CPU at 19,500 streams, which
    // is the ramp's cost, not the steady idle one. The idle window starts once that has settled.
    if (config.settle > 0) {
      log(`${kind}: settling for ${config.settle} s`)
      await sleep(config.settle * 1000)
    }
    log(`${kind}: idle for ${config.idle} s`)
    // The event-loop monitor's timer costs CPU of its own (about 0.35 % of a core here): off meanwhile.
    await Promise.all(servers.map((s) => s.ask('eld', { enable: false })))
    const cpuBefore = await stats(false)
    const idleStarted = performance.now()
    await profile('idle', () => sleep(config.idle * 1000))
    const cpuAfter = await stats(false)
    const idleMs = performance.now() - idleStarted
    await Promise.all(servers.map((s) => s.ask('eld', { enable: true, reset: true })))
    result.idle = {
      ms: idleMs,
      cpuPercent: servers.map((_, n) => (cpuAfter[n].cpuUs - cpuBefore[n].cpuUs) / 1000 / idleMs * 100),
      // The kernel's share (on loopback the sender's system time includes the receiving side's TCP work).
      systemPercent: servers.map((_, n) => (cpuAfter[n].systemUs - cpuBefore[n].systemUs) / 1000 / idleMs * 100)
    }

    log(`${kind}: ${config.broadcasts} broadcast(s)`)
    await delays(true)
    result.broadcasts = await profile('broadcast', async () => {
      const list = []
      for (let seq = 1; seq <= config.broadcasts; seq++) {
        list.push(await broadcastOnce(servers, clients, seq, ports))
        await sleep(1000)
      }
      return list
    })
    const pooled = spread(result.broadcasts.flatMap((b) => b.latencies))
    for (const b of result.broadcasts) delete b.latencies
    result.broadcast = {
      ...pooled,
      missing: result.broadcasts.reduce((n, b) => n + b.missing, 0),
      syncMs: spread(result.broadcasts.map((b) => b.syncMs)),
      // Median over the rounds of the servers' CPU time per broadcast, all nodes together.
      cpuMs: spread(result.broadcasts.map((b) => b.cpuMs.reduce((a, c) => a + c, 0))).p50,
      systemMs: spread(result.broadcasts.map((b) => b.systemMs.reduce((a, c) => a + c, 0))).p50,
      // The event loop of each server over the broadcasts (and the second after each).
      delay: await delays(true)
    }

    const status = await Promise.all(clients.map((c) => c.ask('status')))
    result.closedByServer = status.reduce((n, s) => n + s.closedByServer, 0)
    result.after = await stats(false)
    result.perNodeExpected = servers.map((_, n) => perNode(n))
    result.profiles = config.profile === null ? undefined : profiles
    result.valid = result.open.failed === 0 && result.broadcast.missing === 0 && result.closedByServer === 0
  } catch (error) {
    log(`${kind} FAILED: ${error.stack}`)
    result.failed = error.message
    result.valid = false
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
    await Promise.all(servers.map((s) => s.stop()))
    if (keyPrefix !== undefined) result.redisKeysDeleted = await deleteRedisKeys(keyPrefix)
  }
  result.loadavgEnd = os.loadavg().map((v) => v.toFixed(2)).join(' ')
  result.cpuPressureEnd = cpuPressure()
  if (result.heapHeld !== undefined) result.heap = await heapSummary(result.heapBefore, result.heapHeld, result.perStream[0].streams)
  return result
}

/** ioredis, as mcp-session has it installed. */
async function ioredis () {
  const require = createRequire(createRequire(path.join(benchDir, 'package.json')).resolve('@mcp-fastify/mcp-session'))
  const module = await import(require.resolve('ioredis'))
  return module.Redis ?? module.default?.Redis ?? module.default
}

/** Deletes the run's keys from the shared Redis (ioredis, as mcp-session has it). */
async function deleteRedisKeys (prefix) {
  try {
    const Redis = await ioredis()
    const redis = new Redis(config.redis)
    let deleted = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) deleted += await redis.unlink(...keys)
    } while (cursor !== '0')
    await redis.quit()
    return deleted
  } catch (error) {
    log(`could not delete the Redis keys ${prefix}*: ${error.message}`)
    return null
  }
}

async function redisVersion () {
  try {
    const Redis = await ioredis()
    const redis = new Redis(config.redis)
    const info = await redis.info('server')
    await redis.quit()
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  } catch (error) {
    die(`Redis at ${config.redis} is not reachable: ${error.message}`)
  }
}

/** The heap snapshots' difference by constructor, per stream (bench/heap-summary.mjs, a process of its own). */
function heapSummary (before, held, streams) {
  return new Promise((resolve) => {
    const child = track(fork(path.join(benchDir, 'heap-summary.mjs'), [before, held, String(streams)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=8192'] }))
    let summary = null
    child.on('message', (message) => { summary = message })
    child.on('exit', () => resolve(summary))
  })
}

// ---- report ---------------------------------------------------------------------------------------

const fixed = (value, digits) => (value === null || value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits))
const kib = (bytes) => `${fixed(bytes / 1024, 2)} KiB`
const mb = (bytes) => `${fixed(bytes / 1024 / 1024, 0)} MB`
const verdict = (ok) => ok ? 'met' : '**missed**'
// The rate the clients launched the streams at (the opening of the last ones is not counted).
const launchRate = (r) => r.open.launchMs > 0 ? (r.streams - 1) / r.open.launchMs * 1000 : null

function report (env, results) {
  const lines = [
    `# Streams: ${config.streams} per run, ${config.nodes === 1 ? 'one server process' : `${config.nodes} server processes sharing a Redis`}`,
    '',
    `Opened at ${config.rate}/s (at most ${config.maxInFlight} opening at once) by ${config.clients} client process(es) over raw sockets; keep-alive every ${config.keepAliveMs} ms; idle CPU over ${config.idle} s, from ${config.settle} s after the held streams' GCs; ${config.broadcasts} broadcast(s) of \`notifications/tools/list_changed\` (a tool registered on ${config.nodes === 1 ? 'the server' : 'node 0'}), latency from the registration to each client reading it. Memory after two full GCs, minus the baseline taken after a warm-up of ${WARM_UP} streams opened and closed. Event-loop delay: monitorEventLoopDelay (10 ms resolution, subtracted), off while idle CPU is measured (its timer costs about 0.35 % of a core).`,
    '',
    '| kind | opened (s, rate) | ramp loop delay p50 / p99 / max (ms) | open p99 (ms) | ramp CPU server / clients | RSS baseline → held | RSS per stream | heap per stream | external per stream | idle CPU | broadcast p50 / p99 / max (ms) | broadcast p99 per round (ms) | fan-out sync (ms, median) | server CPU per broadcast (ms, median) | loop delay max in broadcasts (ms) | received | closed by server |',
    '| --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |'
  ]
  const worst = (values) => Math.max(...values)
  for (const r of results) {
    if (r.failed !== undefined) { lines.push(`| ${r.kind} | FAILED: ${r.failed.replaceAll('|', '\\|').replaceAll('\n', ' ').slice(0, 300)} |${' |'.repeat(15)}`); continue }
    const nodeMem = (key) => r.held.reduce((n, h) => n + h.memory[key], 0)
    const before = (key) => r.before.reduce((n, h) => n + h.memory[key], 0)
    const streams = r.perStream.reduce((n, p) => n + p.streams, 0)
    const per = (key) => (nodeMem(key) - before(key)) / streams
    lines.push(`| ${r.kind} | ${r.open.opened} in ${fixed(r.open.ms / 1000, 1)} s (launched at ${fixed(launchRate(r), 0)}/s) | ${fixed(worst(r.rampDelay.map((d) => d.p50)), 0)} / ${fixed(worst(r.rampDelay.map((d) => d.p99)), 0)} / ${fixed(worst(r.rampDelay.map((d) => d.max)), 0)} | ${fixed(r.open.openMs.p99, 0)} | ${r.rampCpuPercent.servers.map((c) => `${fixed(c, 0)} %`).join(', ')} / ${fixed(r.rampCpuPercent.clients, 0)} % (server ${fixed(r.rampCpuUsPerStream, 0)} µs a stream)${r.open.listenOverflows ? `; ${r.open.listenOverflows} listen-queue overflows` : ''}${r.open.failed ? `; ${r.open.failed} failed: ${r.open.firstError.replaceAll('|', '\\|').slice(0, 120)}` : ''} | ${mb(before('rss'))} → ${mb(nodeMem('rss'))} | ${kib(per('rss'))} | ${kib(per('heapUsed'))} | ${kib(per('external'))} | ${r.idle.cpuPercent.map((c, n) => `${fixed(c, 2)} % (system ${fixed(r.idle.systemPercent[n], 2)})`).join(', ')} | ${fixed(r.broadcast.p50, 0)} / ${fixed(r.broadcast.p99, 0)} / ${fixed(r.broadcast.max, 0)} | ${r.broadcasts.map((b) => fixed(b.p99, 0)).join(', ')} | ${fixed(r.broadcast.syncMs.p50, 1)} | ${fixed(r.broadcast.cpuMs, 0)} (system ${fixed(r.broadcast.systemMs, 0)}) | ${fixed(worst(r.broadcast.delay.map((d) => d.max)), 0)} | ${r.broadcast.count} of ${r.open.opened * config.broadcasts} | ${r.closedByServer} |`)
  }
  const raw = results.find((r) => r.kind === 'raw' && r.failed === undefined)
  const ours = results.filter((r) => r.kind !== 'raw' && r.failed === undefined)
  if (raw !== undefined && ours.length > 0) {
    lines.push('', 'Against the plain-Fastify baseline of this run (ours / raw):', '', '| kind | RSS per stream | heap per stream | idle CPU | broadcast p99 |', '| --- | ---: | ---: | ---: | ---: |')
    for (const r of ours) {
      lines.push(`| ${r.kind} | ${fixed(r.perStream[0].rss / raw.perStream[0].rss, 2)} | ${fixed(r.perStream[0].heapUsed / raw.perStream[0].heapUsed, 2)} | ${fixed(r.idle.cpuPercent[0] / raw.idle.cpuPercent[0], 2)} | ${fixed(r.broadcast.p99 / raw.broadcast.p99, 2)} |`)
    }
  }
  if (config.nodes > 1) {
    lines.push('', 'Per node (node 0 makes the broadcast; the others hear it over Redis):', '', '| kind | node | streams | RSS per stream | idle CPU | ramp loop delay p99 / max (ms) | broadcast p50 / p99 / max (ms), all rounds |', '| --- | ---: | ---: | ---: | ---: | --- | --- |')
    for (const r of results.filter((x) => x.failed === undefined)) {
      r.perStream.forEach((p, n) => {
        const rounds = r.broadcasts.map((b) => b.byNode[n])
        lines.push(`| ${r.kind} | ${n} | ${p.streams} | ${kib(p.rss)} | ${fixed(r.idle.cpuPercent[n], 2)} % | ${fixed(r.rampDelay[n].p99, 0)} / ${fixed(r.rampDelay[n].max, 0)} | ${rounds.map((s) => `${fixed(s.p50, 0)} / ${fixed(s.p99, 0)} / ${fixed(s.max, 0)}`).join('; ')} |`)
      })
    }
  }
  lines.push('', `Targets (issue 11; on two cores, at ${TARGETS.streams} streams in one process; across three processes, ${TARGETS.clusterStreams} streams):`, '')
  for (const r of results.filter((x) => x.kind !== 'raw' && x.failed === undefined)) {
    const rss = r.perStream.reduce((n, p) => n + p.rss * p.streams, 0) / r.perStream.reduce((n, p) => n + p.streams, 0) / 1024
    const rampP99 = Math.max(...r.rampDelay.map((d) => d.p99))
    const rate = launchRate(r)
    const checks = config.nodes > 1
      ? [
          `${r.open.opened} streams open (target ${TARGETS.clusterStreams}): ${verdict(r.open.opened >= TARGETS.clusterStreams && r.open.failed === 0)}`,
          `broadcast reach p99 ${fixed(r.broadcast.p99, 0)} ms, ${r.broadcast.count} of ${r.open.opened * config.broadcasts} received (target every stream within ${TARGETS.clusterReachP99Ms} ms p99): ${verdict(r.broadcast.p99 <= TARGETS.clusterReachP99Ms && r.broadcast.missing === 0)}`
        ]
      : [
          `RSS per stream ${fixed(rss, 2)} KiB (target at most ${TARGETS.rssPerStreamKiB} KiB): ${verdict(rss <= TARGETS.rssPerStreamKiB)}`,
          `broadcast p99 ${fixed(r.broadcast.p99, 0)} ms (target at most ${TARGETS.broadcastP99Ms} ms): ${verdict(r.broadcast.p99 <= TARGETS.broadcastP99Ms && r.broadcast.missing === 0)}`,
          `idle CPU ${fixed(r.idle.cpuPercent[0], 2)} % (target under ${TARGETS.idleCpuPercent} %): ${verdict(r.idle.cpuPercent[0] < TARGETS.idleCpuPercent)}`,
          `ramp loop delay p99 ${fixed(rampP99, 0)} ms at ${fixed(rate, 0)} streams/s (target under ${TARGETS.rampDelayP99Ms} ms at ${TARGETS.rampRate}/s): ${verdict(rampP99 < TARGETS.rampDelayP99Ms)}${rate < TARGETS.rampRate * 0.95 ? ' (not at the target\'s rate)' : ''}`
        ]
    lines.push(`- ${r.kind}${config.streams < TARGETS.streams && config.nodes === 1 ? ` (${config.streams} streams: the targets are for ${TARGETS.streams})` : ''}: ${checks.join('; ')}`)
  }
  for (const r of results.filter((x) => x.profiles !== undefined)) {
    for (const [phase, p] of Object.entries(r.profiles)) {
      lines.push('', `CPU profile of the ${r.kind} ${phase} (node 0: ${fixed(p.busyMs, 0)} ms busy in ${fixed(p.ms, 0)} ms; ${p.file}). Busy time by where the code lives: ${p.places.map((f) => `${f.name} ${fixed(f.share * 100, 0)} %`).join(', ')}. Top functions by self time:`, '')
      for (const f of p.top) lines.push(`- ${fixed(f.ms, 0)} ms (${fixed(f.share * 100, 1)} %) ${f.name}`)
    }
  }
  for (const r of results.filter((x) => x.heap)) {
    lines.push('', `Heap of the ${r.kind} streams (snapshots before and held, by constructor, per stream; self sizes):`, '', '| what | objects per stream | bytes per stream |', '| --- | ---: | ---: |')
    for (const row of r.heap.top) lines.push(`| ${row.name.replaceAll('|', '\\|')} | ${fixed(row.count, 2)} | ${fixed(row.bytes, 0)} |`)
    lines.push(`| total | ${fixed(r.heap.total.count, 1)} | ${fixed(r.heap.total.bytes, 0)} |`)
  }
  if (config.profile !== null || config.heapSnapshot !== null) {
    lines.push('', `**Diagnostic run** (${[config.profile !== null && 'CPU profiles', config.heapSnapshot !== null && 'heap snapshots'].filter(Boolean).join(', ')}): the profiler costs CPU and a heap snapshot inflates RSS, so the figures above are disturbed; measure without them.`)
  }
  lines.push('',
    `- node ${env.node}, fastify ${env.fastify}${env.redis ? `, Redis ${env.redis}, ioredis ${env.ioredis}` : ''}; ${env.cpu}, ${env.cores} cores; ${env.platform}; open files limit ${config.openFilesLimit}`,
    `- load average at the start of each kind: ${results.map((r) => `${r.kind} ${r.loadavgStart}`).join('; ')}; at the end: ${results.at(-1)?.loadavgEnd}`,
    `- CPU pressure (PSI some avg60: the share of time a runnable task waited for a core) at the start of each kind: ${results.map((r) => `${r.kind} ${fixed(r.cpuPressureStart, 0)} %`).join('; ')}; at the end: ${fixed(results.at(-1)?.cpuPressureEnd, 0)} %`,
    `- git ${env.git}; ${env.date}`, '')
  return lines.join('\n')
}

// ---- main ------------------------------------------------------------------------------------------

if (!existsSync(path.join(root, 'packages/mcp-transport/dist/index.js')) || !existsSync(path.join(root, 'examples/conformance/dist/app.js'))) die('build first: pnpm run build')
if (config.profile !== null) mkdirSync(config.profile, { recursive: true })
if (config.heapSnapshot !== null) mkdirSync(config.heapSnapshot, { recursive: true })
const sessionRequire = createRequire(createRequire(path.join(benchDir, 'package.json')).resolve('@mcp-fastify/mcp-session'))
const env = environment({
  versions: {
    fastify: packageVersion('fastify'),
    ...(config.nodes > 1 && { redis: await redisVersion(), ioredis: packageVersion('ioredis', sessionRequire) })
  },
  platform: true,
  loadavg: true
})
// A clean export of a commit (no .git) says which commit it is with --revision.
if (config.revision !== null) env.git = config.revision

const results = []
for (const kind of config.kinds) results.push(await measure(kind))

const markdown = report(env, results)
process.stdout.write(`\n${markdown}`)
const dir = path.join(benchDir, 'results')
mkdirSync(dir, { recursive: true })
const stamp = env.date.replace(/[:.]/g, '-')
writeFileSync(path.join(dir, `streams-${stamp}.md`), markdown)
writeFileSync(path.join(dir, `streams-${stamp}.json`), `${JSON.stringify({ environment: env, config, results }, null, 2)}\n`)
log(`wrote bench/results/streams-${stamp}.md and .json`)
if (results.some((r) => !r.valid)) process.exitCode = 1
