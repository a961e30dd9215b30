// Load generator of bench/corun.mjs, in its own child process: `connections` keep-alive HTTP/1.1
// connections over raw sockets (no client library whose cost would share the core with the other
// generator), each sending `tools/call` of `echo` with a fresh id, one at a time, and checking
// every answer: 2xx, of the content type the mode expects (application/json or
// text/event-stream), its id and the text echoed, no error.
//
// With `handshake`, each connection first POSTs `initialize` (2025-11-25) and
// `notifications/initialized` and then calls in the session it was given: a session per
// connection. Without (raw Fastify, which has no sessions), it sends a random session id the
// server ignores, so both servers read requests of the same size.
//
//   options (JSON, first argument): port, connections, mode ('json' | 'sse'), handshake, text
//
// Driven over IPC: once every connection has checked its first call it sends { ready }; then
//   go     the connections start calling
//   mark   -> { completed, wrong } answers so far (the parent reads the servers' CPU time alongside)
//   stop   -> the totals, then it exits
// A first answer that is wrong is sent as { failed } and the process exits 1.
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { HOST } from './common.mjs'

const PROTOCOL_VERSION = '2025-11-25'
const options = { connections: 50, mode: 'json', handshake: false, text: 'hello', ...JSON.parse(process.argv[2] ?? '{}') }
const CONTENT_TYPE = options.mode === 'sse' ? 'text/event-stream' : 'application/json'
const ECHOED = `"text":${JSON.stringify(options.text)}`
const HEAD_END = Buffer.from('\r\n\r\n')
const CHUNKED_END = Buffer.from('0\r\n\r\n')

const counts = { completed: 0, wrong: 0, sample: null, errors: 0, firstError: null }
// Set by the parent's `stop`: the loops end, and the connections closing then is no error.
const control = { stopped: false }

/** One HTTP answer out of `buffer` (head and body, chunked or by content-length), or null if incomplete. */
function readAnswer (buffer) {
  const headEnd = buffer.indexOf(HEAD_END)
  if (headEnd === -1) return null
  const head = buffer.toString('latin1', 0, headEnd).toLowerCase()
  const start = headEnd + 4
  const length = /\r\ncontent-length: *(\d+)/.exec(head)
  let body, end
  if (length !== null) {
    end = start + Number(length[1])
    if (buffer.length < end) return null
    body = buffer.toString('utf8', start, end)
  } else if (head.includes('\r\ntransfer-encoding: chunked')) {
    // One answer at a time on a connection: a complete one ends with the last chunk.
    const last = buffer.indexOf(CHUNKED_END, start)
    if (last === -1) return null
    end = last + CHUNKED_END.length
    body = ''
    for (let at = start; at < last;) {
      const lineEnd = buffer.indexOf('\r\n', at)
      const size = parseInt(buffer.toString('latin1', at, lineEnd), 16)
      body += buffer.toString('utf8', lineEnd + 2, lineEnd + 2 + size)
      at = lineEnd + 2 + size + 2
    }
  } else {
    throw new Error(`an answer with neither content-length nor chunked encoding: ${head}`)
  }
  return { status: Number(head.slice(9, 12)), head, body, rest: buffer.subarray(end) }
}

class Connection {
  constructor () {
    this.buffer = Buffer.alloc(0)
    this.waiting = null
    this.nextId = 1
    this.socket = net.connect({ host: HOST, port: options.port })
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
      let answer
      try {
        answer = readAnswer(this.buffer)
      } catch (error) {
        return this.fail(error)
      }
      if (answer === null) return
      this.buffer = answer.rest
      const waiting = this.waiting
      this.waiting = null
      if (waiting === null) return this.fail(new Error('an answer nothing was asked for'))
      waiting.resolve(answer)
    })
    this.socket.on('error', (error) => this.fail(error))
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')))
    this.headers = { 'mcp-session-id': randomUUID() }
  }

  fail (error) {
    const waiting = this.waiting
    this.waiting = null
    if (waiting !== null) waiting.reject(error)
  }

  /** POSTs one JSON-RPC message on this connection; resolves with the answer. */
  post (message, withSession = true) {
    const body = JSON.stringify(message)
    const headers = {
      host: `${HOST}:${options.port}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(message.method !== 'initialize' && { 'mcp-protocol-version': PROTOCOL_VERSION }),
      ...(withSession && this.headers),
      'content-length': Buffer.byteLength(body)
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.socket.write(`POST /mcp HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`)
    })
  }

  call () {
    const id = this.nextId++
    return this.post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: options.text } } }).then((answer) => ({ id, answer }))
  }

  async handshake () {
    const init = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-fastify-bench-corun', version: '1.0.0' } }
    }, false)
    const session = /\r\nmcp-session-id: *([^\r]+)/.exec(init.head)
    if (init.status !== 200 || session === null || !init.body.includes(`"protocolVersion":"${PROTOCOL_VERSION}"`)) {
      throw new Error(`initialize: HTTP ${init.status}, no session or another protocol version: ${init.head}\n${init.body.slice(0, 500)}`)
    }
    this.headers = { 'mcp-session-id': session[1] }
    const initialized = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })
    if (initialized.status !== 202) throw new Error(`notifications/initialized: HTTP ${initialized.status}: ${initialized.body.slice(0, 500)}`)
  }
}

/** Why an answer to the call `id` is wrong, or null when it is right. */
function wrong ({ status, head, body }, id) {
  if (status < 200 || status > 299) return `HTTP ${status}`
  if (!head.includes(`\r\ncontent-type: ${CONTENT_TYPE}`)) return `not ${CONTENT_TYPE}`
  if (body.includes('"error"')) return 'an error'
  if (!body.includes(`"id":${id},`) || !body.includes(ECHOED)) return `not the answer to ${id} echoing ${ECHOED}`
  return null
}

/** The first call of a connection, checked strictly: the payload parsed (the SSE event's data line). */
function checkFirst ({ id, answer }) {
  const problem = wrong(answer, id)
  const data = options.mode === 'sse' ? /^data: (\{.*)$/m.exec(answer.body)?.[1] : answer.body
  let message = null
  try { message = JSON.parse(data) } catch {}
  const text = message?.result?.content?.[0]?.text
  if (problem !== null || message?.id !== id || text !== options.text) {
    throw new Error(`first tools/call: ${problem ?? `no JSON-RPC result echoing "${options.text}"`}: ${answer.head}\n\n${answer.body.slice(0, 500)}`)
  }
}

async function loop (connection) {
  while (!control.stopped) {
    let result
    try {
      result = await connection.call()
    } catch (error) {
      if (control.stopped) return
      counts.errors++
      counts.firstError ??= error.message
      return
    }
    const problem = wrong(result.answer, result.id)
    if (problem === null) {
      counts.completed++
    } else {
      counts.wrong++
      counts.sample ??= `${problem}: ${result.answer.body.slice(0, 300)}`
    }
  }
}

const connections = Array.from({ length: options.connections }, () => new Connection())
process.once('disconnect', () => process.exit(0))
try {
  await Promise.all(connections.map(async (connection) => {
    if (options.handshake) await connection.handshake()
    checkFirst(await connection.call())
  }))
} catch (error) {
  process.send({ failed: error.message }, () => process.exit(1))
  await new Promise(() => {})
}

process.on('message', (message) => {
  if (message === 'go') {
    for (const connection of connections) loop(connection)
  } else if (message === 'mark') {
    process.send({ completed: counts.completed, wrong: counts.wrong })
  } else if (message === 'stop') {
    control.stopped = true
    for (const connection of connections) connection.socket.destroy()
    process.send({ ...counts }, () => process.exit(0))
  }
})
process.send({ ready: true })
