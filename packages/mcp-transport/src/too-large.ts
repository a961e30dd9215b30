import type { OutgoingHttpHeaders } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** At most this much of the rest of an oversized body is read (and dropped) before the socket closes. */
const LINGER_BYTES = 64 * 1024 * 1024
/** And for at most this long. */
const LINGER_MS = 5000

/**
 * Answers a body over `bodyLimit` with 413 so the client can read it: the response is written
 * with `Connection: close`, then the rest of the upload is read and dropped, within bounds,
 * before the socket closes (what nginx calls a lingering close). Closing at once with the
 * upload unread makes the kernel reset the connection, and a client still sending — one that
 * does not wait for `100-continue` — sees EPIPE or a reset, or a proxy's 502, instead of the 413.
 */
export function answerTooLarge (request: FastifyRequest, reply: FastifyReply, body: object): void {
  const socket = request.raw.socket
  // Injected requests (light-my-request) have no socket to linger on.
  if (!(socket instanceof Socket)) {
    reply.code(413).send(body)
    return
  }
  const json = JSON.stringify(body)
  reply.hijack()
  const raw = reply.raw
  const headers: OutgoingHttpHeaders = {
    ...reply.getHeaders() as OutgoingHttpHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    connection: 'close'
  }
  // Written to the socket, not through the response, whose end would destroy the socket at once.
  let head = 'HTTP/1.1 413 Payload Too Large\r\n'
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) head += `${name}: ${String(one)}\r\n`
  }
  raw.statusCode = 413
  socket.write(`${head}\r\n${json}`)
  socket.end()
  let dropped = 0
  const close = (): void => { socket.destroy() }
  const timer = setTimeout(close, LINGER_MS).unref()
  socket.once('close', () => clearTimeout(timer))
  request.raw.on('data', (chunk: Buffer) => {
    dropped += chunk.length
    if (dropped > LINGER_BYTES) close()
  })
  request.raw.once('end', close)
  request.raw.once('error', close)
  request.raw.resume()
}
