// Regression (found by the property tests of toJsonRpcError): an error whose statusCode was not
// an HTTP error status (600, 1000: libraries set such numbers) was answered with Fastify's own
// envelope and a message about an invalid status code, since reply.code() refuses anything past
// 599; and an error whose code named an inherited member (`constructor`, `__proto__`) made the
// JSON-RPC code a function or an object, so the body was not a JSON-RPC error. Both now get the
// JSON-RPC error the mapping promises: 500 and -32603 for the first, a well-formed code for both.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ErrorCode } from '@mcp-fastify/mcp-protocol'
import type { FastifyInstance } from 'fastify'
import { buildApp, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'

/** An endpoint where a hook throws the error the request's headers describe. */
function build (t: TestContext): Promise<FastifyInstance> {
  return buildApp(t, {
    sessions: false,
    before: async (app) => {
      app.addHook('onRequest', async (request) => {
        const status = request.headers['x-throw-status']
        if (status === undefined) return
        const error = new Error('upstream said: token=s3cret') as Error & { statusCode: number, code: string }
        error.statusCode = Number(status)
        error.code = String(request.headers['x-throw-code'] ?? 'ESOMETHING')
        throw error
      })
    }
  })
}

test('an error with a status past 599 is answered 500 with a JSON-RPC internal error', async (t) => {
  const app = await build(t)
  for (const status of ['600', '1000']) {
    const response = await post(app, rpc(1, 'ping'), { 'x-throw-status': status })
    assert.equal(response.statusCode, 500, `${status}: ${response.body}`)
    assert.deepEqual(response.json(), { jsonrpc: '2.0', error: { code: ErrorCode.InternalError, message: 'Internal error' } })
  }
})

test('an error whose code names an inherited member still gets a JSON-RPC code', async (t) => {
  const app = await build(t)
  for (const code of ['constructor', '__proto__', 'toString']) {
    const refused = await post(app, rpc(1, 'ping'), { 'x-throw-status': '400', 'x-throw-code': code })
    assert.equal(refused.statusCode, 400, refused.body)
    assert.deepEqual(refused.json(), { jsonrpc: '2.0', error: { code: ErrorCode.ConnectionClosed, message: 'upstream said: token=s3cret' } })

    const failed = await post(app, rpc(1, 'ping'), { 'x-throw-status': '500', 'x-throw-code': code })
    assert.equal(failed.statusCode, 500, failed.body)
    assert.deepEqual(failed.json(), { jsonrpc: '2.0', error: { code: ErrorCode.InternalError, message: 'Internal error' } })
  }
})
