import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Dispatcher, request } from 'undici'
import { AnswerTimeoutError, AnswerTooLargeError, BoundedDispatcher } from '../src/bounded-dispatcher.ts'

/** A server answering `size` bytes at `/<size>`, with or without Content-Length. */
async function sizedServer (t: TestContext): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const body = 'x'.repeat(Number(url.pathname.slice(1)))
    if (url.searchParams.has('chunked')) {
      res.writeHead(200)
      res.write(body.slice(0, body.length >> 1))
      res.end(body.slice(body.length >> 1))
    } else {
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('an answer of exactly maxBytes is read; one byte more is cut off, by Content-Length or while it streams', async (t) => {
  const base = await sizedServer(t)
  const dispatcher = new BoundedDispatcher(undefined, { timeoutMs: 5000, maxBytes: 2048 })
  for (const query of ['', '?chunked']) {
    const ok = await request(`${base}/2048${query}`, { dispatcher })
    assert.equal((await ok.body.text()).length, 2048)
    await assert.rejects(async () => {
      const response = await request(`${base}/2049${query}`, { dispatcher })
      await response.body.text()
    }, (error: Error) => error instanceof AnswerTooLargeError && /larger than 2048/.test(error.message))
  }
})

test('the deadline holds even when the exchange never starts (a connection that hangs)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  // A dispatcher that takes the request and never calls its handler back.
  class Stuck extends Dispatcher {
    override dispatch (): boolean { return true }
  }
  const errors: Error[] = []
  const dispatcher = new BoundedDispatcher(new Stuck(), { timeoutMs: 1000, maxBytes: 1024 })
  dispatcher.dispatch({ origin: 'http://issuer.example', path: '/jwks', method: 'GET' }, {
    onError: (error: Error) => { errors.push(error) }
  })
  t.mock.timers.tick(999)
  assert.equal(errors.length, 0)
  t.mock.timers.tick(1)
  assert.equal(errors.length, 1)
  assert.ok(errors[0] instanceof AnswerTimeoutError)
  assert.match(errors[0].message, /issuer\.example.*no complete answer within 1000 ms/)
})
