// The clients of the listen benchmark (bench/modern.mjs), in their own process: N 2026-07-28
// `subscriptions/listen` streams over raw sockets (one TCP connection each, no HTTP client
// library in the way), and the broadcast that every one of them must hear. Driven by its
// parent over IPC, one command at a time, each answered once:
//
//   { cmd: 'open', port, count, batch }   open `count` streams, `batch` at a time, each waiting
//                                         for its acknowledgement -> { opened, failed, ms, firstError }
//   { cmd: 'broadcast', port, timeoutMs } call the server's `bench_add_tool` (one tools/list_changed
//                                         to every stream) -> { received, missing, latency, callMs }
//   { cmd: 'close' }                      close every stream -> { closed }
//
// Times are the clients' own: from the moment the broadcasting call is written to the moment a
// stream's socket delivers the notification to this process.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { HOST } from './common.mjs'

const VERSION = '2026-07-28'
const META = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} }
const ACK = 'notifications/subscriptions/acknowledged'
const CHANGED = 'notifications/tools/list_changed'
const OPEN_TIMEOUT_MS = 10_000

/** The bytes of one POST with the 2026-07-28 headers, `extra` headers and `message` as its body. */
function post (port, extra, message) {
  const body = JSON.stringify(message)
  const headers = {
    host: `${HOST}:${port}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': VERSION,
    ...extra,
    'content-length': Buffer.byteLength(body)
  }
  return `POST /mcp HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`
}

const streams = []

/** One listen stream: resolves once acknowledged (HTTP 200, then the acknowledgement frame). */
function openStream (port, index) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port })
    const stream = { socket, heardAt: null, tail: '' }
    let acknowledged = false
    let head = ''
    const timer = setTimeout(() => fail(new Error(`no acknowledgement within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS)
    function fail (error) {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    socket.setEncoding('utf8')
    socket.once('connect', () => {
      socket.write(post(port, { 'mcp-method': 'subscriptions/listen' }, {
        jsonrpc: '2.0', id: `listen-${index}`, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: META }
      }))
    })
    socket.on('data', (chunk) => {
      if (!acknowledged) {
        head += chunk
        if (!head.startsWith('HTTP/1.1 200')) {
          if (head.length >= 12) fail(new Error(`listen answered ${JSON.stringify(head.slice(0, 300))}`))
          return
        }
        if (!head.includes(ACK)) return
        acknowledged = true
        clearTimeout(timer)
        stream.tail = head.slice(head.indexOf(ACK) + ACK.length)
        head = ''
        streams.push(stream)
        resolve()
      } else {
        if (stream.heardAt !== null) return
        // A frame may be split across chunks: look in what is left of the last one too.
        const text = stream.tail + chunk
        if (text.includes(CHANGED)) {
          stream.heardAt = performance.now()
          heard++
          if (heard === streams.length) allHeard?.()
        } else {
          stream.tail = text.slice(-CHANGED.length)
        }
      }
    })
    socket.on('error', (error) => { if (!acknowledged) fail(error) })
  })
}

async function open ({ port, count, batch }) {
  const started = performance.now()
  let failed = 0
  let firstError = null
  for (let first = 0; first < count; first += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, count - first) }, (_, i) => openStream(port, first + i)))
    for (const result of results) {
      if (result.status === 'rejected') {
        failed++
        firstError ??= result.reason.message
      }
    }
  }
  return { opened: streams.length, failed, ms: performance.now() - started, firstError }
}

let heard = 0
let allHeard = null

/** Calls `bench_add_tool` on a connection of its own, and waits until every stream heard of it. */
async function broadcast ({ port, timeoutMs }) {
  for (const stream of streams) stream.heardAt = null
  heard = 0
  const call = net.connect({ host: HOST, port })
  await new Promise((resolve, reject) => { call.once('connect', resolve).once('error', reject) })
  let answer = ''
  let callMs = null
  call.setEncoding('utf8').on('data', (chunk) => {
    answer += chunk
    if (callMs === null && answer.includes('bench_tool_')) callMs = performance.now() - sent
  })
  const everyone = new Promise((resolve) => { allHeard = resolve })
  const sent = performance.now()
  call.write(post(port, { 'mcp-method': 'tools/call', 'mcp-name': 'bench_add_tool' }, {
    jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'bench_add_tool', arguments: {}, _meta: META }
  }))
  let timer
  await Promise.race([everyone, new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
  clearTimeout(timer)
  allHeard = null
  call.destroy()
  const times = streams.filter((stream) => stream.heardAt !== null).map((stream) => stream.heardAt - sent).sort((a, b) => a - b)
  const at = (p) => times.length === 0 ? null : times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]
  return {
    received: times.length,
    missing: streams.length - times.length,
    latency: { p50: at(50), p99: at(99), max: at(100) },
    callMs,
    answer: callMs === null ? answer.slice(0, 300) : undefined
  }
}

function close () {
  for (const { socket } of streams) socket.destroy()
  const closed = streams.length
  streams.length = 0
  return { closed }
}

const commands = { open, broadcast, close }
process.on('message', async (message) => {
  try {
    process.send({ ok: true, ...await commands[message.cmd](message) })
  } catch (error) {
    process.send({ ok: false, error: error.message })
  }
})
process.once('disconnect', () => process.exit(0))
