// Regression: a body over `bodyLimit` was answered 413, but the socket closed with the upload
// unread, so the kernel reset the connection and a client still sending (one that does not wait
// for `100-continue`) saw EPIPE or a reset, or a proxy's 502, instead of the 413. The rest of
// the upload is now read and dropped, within bounds, before the connection closes.
import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { buildApp, listen } from '../../packages/mcp-transport/test/helpers.ts'

/** POSTs `size` bytes over a raw socket without waiting for anything; what came back, and how it ended. */
function upload (port: number, size: number): Promise<{ received: string, ended: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (data) => { received += data.toString() })
    socket.on('error', (error) => resolve({ received, ended: `error ${(error as NodeJS.ErrnoException).code ?? error.message}` }))
    socket.on('close', () => resolve({ received, ended: 'close' }))
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${size}\r\n\r\n`)
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}

test('a client that keeps sending an oversized body reads the whole 413, and the connection closes cleanly', async (t) => {
  const app = await buildApp(t, { transport: { bodyLimit: 1024 } })
  const port = Number(new URL(await listen(app)).port)
  for (let attempt = 0; attempt < 3; attempt++) {
    const { received, ended } = await upload(port, 8 * 1024 * 1024)
    assert.equal(ended, 'close', `attempt ${attempt}: the client saw ${ended}`)
    assert.match(received, /^HTTP\/1\.1 413 Payload Too Large\r\n/)
    assert.match(received, /\r\nconnection: close\r\n/i)
    const body = received.slice(received.indexOf('\r\n\r\n') + 4)
    assert.deepEqual(JSON.parse(body), { jsonrpc: '2.0', error: { code: -32600, message: 'Request body too large' } })
  }
})
