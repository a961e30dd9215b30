// The clients of the streams benchmark (bench/streams.mjs), several processes of them: streams
// over raw sockets (one TCP connection each, no HTTP client library in the way), each bound to a
// loopback source address of its own (127.0.0.2 and up, `localAddress`), so that the ephemeral
// ports of one address are not what limits the count. Driven by the parent over IPC; every
// message { id, cmd, ... } is answered { id, ok, ... }:
//
//   open { kind, ports, count, first, rate, addresses, maxInFlight, timeoutMs }
//        opens `count` streams of `kind` (numbered from `first`; stream g goes to
//        ports[g % ports.length]) at `rate` a second, at most `maxInFlight` opening at once
//        -> { opened, failed, firstError, ms, launchMs (the last one launched), cpuMs (this
//             process's CPU time meanwhile), openMs: { p50, p99, max },
//             behindMs (how late a launch was at worst, held back by maxInFlight) }
//   arm { seq }      the next broadcast is the seq-th: each stream notes when it has heard seq of them
//   collect { timeoutMs }  waits until every stream heard the armed broadcast (or the timeout)
//        -> { times (process.hrtime ms, the clock the server's t0 is read on), missing, byPort }
//   status           -> { open, closedByServer }
//   close            closes every stream
//
// kinds: get     2025-11-25: POST initialize, POST notifications/initialized, then GET /mcp (the
//                session's standalone stream), all on the stream's connection
//        legacy  HTTP+SSE (2024-11-05): GET /sse, then initialize and notifications/initialized
//                POSTed to the endpoint it names, over a few shared keep-alive connections, the
//                initialize result read on the stream
//        listen  2026-07-28: POST subscriptions/listen (toolsListChanged), open once acknowledged
//        raw     the baseline's GET /raw
import net from 'node:net'
import { HOST } from './common.mjs'

const MODERN = '2026-07-28'
const LEGACY = '2025-11-25'
const ACCEPT = 'application/json, text/event-stream'
const CHANGED = Buffer.from('notifications/tools/list_changed')
const ACK = 'notifications/subscriptions/acknowledged'
const now = () => Number(process.hrtime.bigint()) / 1e6
// Every socket of this process reads into this one buffer (net's `onread`: no Buffer allocated
// and no stream machinery per chunk, which would make this process, not the server, the slow
// part of a broadcast to thousands of streams); what is kept of a chunk is copied.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

// ---- HTTP/1.1 over a raw socket ----------------------------------------------------------------

function request (method, path, port, headers, body) {
  const payload = body === undefined ? '' : JSON.stringify(body)
  const all = { host: `${HOST}:${port}`, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) }
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${payload}`
}

/**
 * One keep-alive connection: requests one at a time, answers read with their Content-Length or
 * chunked; an answer of type text/event-stream hands the socket over to `stream` (with what
 * already arrived of the body).
 */
class Connection {
  constructor (port, localAddress) {
    this.port = port
    this.buffer = Buffer.alloc(0)
    this.waiting = null
    this.sink = null
    this.socket = net.connect({
      host: HOST,
      port,
      localAddress,
      onread: {
        buffer: READ_BUFFER,
        callback: (length, buffer) => {
          const chunk = buffer.subarray(0, length)
          if (this.sink !== null) {
            this.sink(chunk)
          } else {
            this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk])
            this.parse()
          }
        }
      }
    })
    this.socket.setNoDelay(true)
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve)
      this.socket.once('error', reject)
    })
    this.socket.on('error', (error) => this.fail(error))
    this.socket.on('close', () => this.fail(new Error('connection closed')))
  }

  fail (error) {
    const waiting = this.waiting
    this.waiting = null
    waiting?.reject(error)
  }

  send (text) {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.socket.write(text)
    })
  }

  parse () {
    if (this.waiting === null) return
    const end = this.buffer.indexOf('\r\n\r\n')
    if (end < 0) return
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n')
    const status = Number(lines[0].split(' ')[1])
    const headers = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    let rest = this.buffer.subarray(end + 4)
    const done = (body, remaining) => {
      this.buffer = remaining
      const waiting = this.waiting
      this.waiting = null
      waiting.resolve({ status, headers, body })
    }
    if ((headers['content-type'] ?? '').startsWith('text/event-stream')) {
      this.sink = () => {}
      return done(rest, Buffer.alloc(0))
    }
    if (headers['transfer-encoding'] === 'chunked') {
      const parts = []
      for (;;) {
        const lineEnd = rest.indexOf('\r\n')
        if (lineEnd < 0) return
        const size = parseInt(rest.toString('latin1', 0, lineEnd), 16)
        if (rest.length < lineEnd + 2 + size + 2) return
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
        rest = rest.subarray(lineEnd + 2 + size + 2)
        if (size === 0) return done(Buffer.concat(parts), rest)
      }
    }
    const length = Number(headers['content-length'] ?? 0)
    if (rest.length < length) return
    done(rest.subarray(0, length), rest.subarray(length))
  }

  async json (method, path, headers, body) {
    const answer = await this.send(request(method, path, this.port, headers, body))
    return { ...answer, text: answer.body.toString('utf8') }
  }
}

// ---- the streams ---------------------------------------------------------------------------------

const streams = []
let closedByServer = 0
let armed = 0
let heard = 0
let allHeard = null

/** From now on, the stream counts broadcasts in what the socket delivers. */
function hold (stream, first) {
  stream.count = 0
  stream.heardAt = null
  stream.tail = null
  stream.connection.sink = (chunk) => listen(stream, chunk)
  stream.connection.socket.on('close', () => { if (!stream.closing) closedByServer++ })
  streams.push(stream)
  if (first.length > 0) listen(stream, first)
}

function listen (stream, chunk) {
  const text = stream.tail === null ? chunk : Buffer.concat([stream.tail, chunk])
  let at = text.indexOf(CHANGED)
  while (at >= 0) {
    stream.count++
    if (stream.count === armed && stream.heardAt === null) {
      stream.heardAt = now()
      if (++heard === streams.length) allHeard?.()
    }
    at = text.indexOf(CHANGED, at + CHANGED.length)
  }
  // A marker split across two chunks: unless the chunk ends an SSE frame (a blank line), keep
  // what could be its beginning (never a whole one), as a copy (the read buffer is shared).
  const n = text.length
  stream.tail = n >= 2 && text[n - 1] === 10 && text[n - 2] === 10 ? null : Buffer.from(text.subarray(Math.max(0, n - CHANGED.length + 1)))
}

/** Reads the stream until `marker` has arrived; resolves with what came after it. */
function readUntil (connection, first, marker) {
  return new Promise((resolve) => {
    let seen = first.toString('utf8')
    const check = () => {
      const at = seen.indexOf(marker)
      if (at < 0) return false
      connection.sink = () => {}
      resolve(seen.slice(at + marker.length))
      return true
    }
    if (check()) return
    connection.sink = (chunk) => { seen += chunk.toString('utf8'); check() }
  })
}

function expect (answer, status, what) {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${answer.text ?? answer.body?.toString('utf8').slice(0, 200)}`)
}

const openers = {
  async get (stream, port, index) {
    const c = stream.connection
    const init = await c.json('POST', '/mcp', { accept: ACCEPT }, {
      jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: `bench-${index}`, version: '1.0.0' } }
    })
    expect(init, 200, 'initialize')
    const session = init.headers['mcp-session-id']
    if (session === undefined) throw new Error('initialize: no Mcp-Session-Id')
    const headers = { accept: ACCEPT, 'mcp-session-id': session, 'mcp-protocol-version': LEGACY }
    expect(await c.json('POST', '/mcp', headers, { jsonrpc: '2.0', method: 'notifications/initialized' }), 202, 'notifications/initialized')
    const get = await c.send(request('GET', '/mcp', port, { ...headers, accept: 'text/event-stream' }))
    expect(get, 200, 'GET /mcp')
    return get.body
  },
  async legacy (stream, port, index) {
    const c = stream.connection
    const sse = await c.send(request('GET', '/sse', port, { accept: 'text/event-stream' }))
    expect(sse, 200, 'GET /sse')
    const afterEndpoint = await readUntil(c, sse.body, 'event: endpoint\ndata: ')
    const endpoint = await new Promise((resolve) => {
      let text = afterEndpoint
      const check = () => {
        const end = text.indexOf('\n')
        if (end < 0) return
        c.sink = () => {}
        resolve(text.slice(0, end))
      }
      c.sink = (chunk) => { text += chunk.toString('utf8'); check() }
      check()
    })
    const result = readUntil(c, Buffer.alloc(0), '"protocolVersion"')
    const post = (message) => pool(port).json('POST', endpoint, { accept: ACCEPT }, message)
    expect(await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: `bench-${index}`, version: '1.0.0' } } }), 202, 'initialize')
    await result
    expect(await post({ jsonrpc: '2.0', method: 'notifications/initialized' }), 202, 'notifications/initialized')
    return Buffer.alloc(0)
  },
  async listen (stream, port, index) {
    const c = stream.connection
    const answer = await c.send(request('POST', '/mcp', port, { accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' }, {
      jsonrpc: '2.0',
      id: `listen-${index}`,
      method: 'subscriptions/listen',
      params: { notifications: { toolsListChanged: true }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } }
    }))
    expect(answer, 200, 'subscriptions/listen')
    await readUntil(c, answer.body, ACK)
    return Buffer.alloc(0)
  },
  async raw (stream, port) {
    const answer = await stream.connection.send(request('GET', '/raw', port, { accept: 'text/event-stream' }))
    expect(answer, 200, 'GET /raw')
    return answer.body
  }
}

// The HTTP+SSE POSTs: a few keep-alive connections per port, each one request at a time.
const POOL_SIZE = 16
const pools = new Map()
let poolAddress = '127.0.0.2'
function pool (port) {
  let entry = pools.get(port)
  if (entry === undefined) {
    entry = { connections: [], next: 0 }
    pools.set(port, entry)
  }
  if (entry.connections.length < POOL_SIZE) {
    const connection = new Connection(port, poolAddress)
    connection.queue = Promise.resolve()
    entry.connections.push(connection)
  }
  const connection = entry.connections[entry.next++ % entry.connections.length]
  return {
    json: (...args) => {
      const run = connection.queue.then(() => connection.connected).then(() => connection.json(...args))
      connection.queue = run.catch(() => {})
      return run
    }
  }
}

async function openOne (kind, port, index, localAddress, timeoutMs) {
  const stream = { connection: new Connection(port, localAddress), port }
  let timer
  try {
    await Promise.race([
      (async () => {
        await stream.connection.connected
        const first = await openers[kind](stream, port, index)
        hold(stream, first)
      })(),
      new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`not open within ${timeoutMs} ms`)), timeoutMs) })
    ])
  } catch (error) {
    stream.connection.socket.destroy()
    throw error
  } finally {
    clearTimeout(timer)
  }
}

const percentile = (sorted, p) => sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

function open ({ kind, ports, count, first, rate, addresses, maxInFlight, timeoutMs }) {
  poolAddress = addresses[0]
  return new Promise((resolve) => {
    const started = now()
    const cpu = process.cpuUsage()
    const openMs = []
    let next = 0
    let inFlight = 0
    let failed = 0
    let firstError = null
    let behindMs = 0
    let lastLaunch = started
    const finish = () => {
      clearInterval(ticker)
      openMs.sort((a, b) => a - b)
      resolve({ opened: openMs.length, failed, firstError, ms: now() - started, launchMs: lastLaunch - started, cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu)), openMs: { p50: percentile(openMs, 50), p99: percentile(openMs, 99), max: percentile(openMs, 100) }, behindMs })
    }
    const launch = () => {
      const i = next++
      const g = first + i
      const scheduled = started + i * 1000 / rate
      const at = now()
      lastLaunch = at
      behindMs = Math.max(behindMs, at - scheduled)
      inFlight++
      openOne(kind, ports[g % ports.length], g, addresses[g % addresses.length], timeoutMs).then(
        () => { openMs.push(now() - at) },
        (error) => { failed++; firstError ??= error.message }
      ).finally(() => {
        inFlight--
        if (next >= count && inFlight === 0) finish()
        else pump()
      })
    }
    const pump = () => {
      const due = Math.min(count, Math.floor((now() - started) * rate / 1000) + 1)
      for (let n = Math.min(due, next + maxInFlight - inFlight) - next; n > 0; n--) launch()
    }
    const ticker = setInterval(pump, 2)
    if (count === 0) finish()
    else pump()
  })
}

function arm ({ seq }) {
  armed = seq
  heard = 0
  for (const stream of streams) {
    stream.heardAt = null
    if (stream.count >= seq) throw new Error(`a stream heard broadcast ${seq} before it was armed`)
  }
  return { streams: streams.length }
}

async function collect ({ timeoutMs }) {
  if (heard < streams.length) {
    let timer
    await Promise.race([
      new Promise((resolve) => { allHeard = resolve }),
      new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    ])
    clearTimeout(timer)
    allHeard = null
  }
  const byPort = {}
  const times = []
  for (const stream of streams) {
    if (stream.heardAt === null) continue
    times.push(stream.heardAt);
    (byPort[stream.port] ??= []).push(stream.heardAt)
  }
  return { times, byPort, missing: streams.length - times.length }
}

function status () {
  return { open: streams.filter((s) => !s.connection.socket.destroyed).length, closedByServer }
}

function close () {
  for (const stream of streams) {
    stream.closing = true
    stream.connection.socket.destroy()
  }
  for (const entry of pools.values()) for (const connection of entry.connections) connection.socket.destroy()
  pools.clear()
  const closed = streams.length
  streams.length = 0
  return { closed }
}

const commands = { open, arm, collect, status, close }
process.on('message', async (message) => {
  try {
    process.send({ id: message.id, ok: true, ...await commands[message.cmd](message) })
  } catch (error) {
    process.send({ id: message.id, ok: false, error: error.stack })
  }
})
process.once('disconnect', () => process.exit(0))
process.send({ id: 0, ok: true, ready: true })
