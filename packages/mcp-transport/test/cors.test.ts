import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import cors, { type FastifyCorsOptions } from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import {
  assertRpcError, buildApp, callTool, httpClient, initialize, initializeBody, listen, openStream, parseSse, post, rpc
} from './helpers.ts'

const ORIGIN = 'https://app.example.com'

/** Header names listed in `Access-Control-Expose-Headers`, lower-cased. */
function exposed (headers: Record<string, unknown>): string[] {
  const value = headers['access-control-expose-headers']
  if (value === undefined) return []
  return String(value).split(',').map((name) => name.trim().toLowerCase())
}

function assertExposesMcpHeaders (headers: Record<string, unknown>, what: string): void {
  assert.equal(headers['access-control-allow-origin'], ORIGIN, `${what}: CORS answered`)
  const names = exposed(headers)
  assert.ok(names.includes('mcp-session-id'), `${what}: Mcp-Session-Id exposed (${names})`)
  assert.ok(names.includes('www-authenticate'), `${what}: WWW-Authenticate exposed (${names})`)
  assert.equal(new Set(names).size, names.length, `${what}: no name listed twice (${names})`)
}

async function corsApp (t: TestContext, options: FastifyCorsOptions = {}): Promise<FastifyInstance> {
  return buildApp(t, {
    before: async (app) => { await app.register(cors, { origin: true, ...options }) },
    transport: { allowedOrigins: [ORIGIN] },
    declare: (mcp) => {
      mcp.tool({
        name: 'chatty',
        async handler (_args, ctx) {
          await ctx.progress(1)
          return { content: [] }
        }
      })
    }
  })
}

test('CORS: the initialize JSON answer exposes Mcp-Session-Id and WWW-Authenticate', async (t) => {
  const app = await corsApp(t)
  const response = await post(app, initializeBody(), { origin: ORIGIN })
  assert.equal(response.statusCode, 200)
  assert.equal(typeof response.headers['mcp-session-id'], 'string')
  assertExposesMcpHeaders(response.headers, 'initialize')
  const { headers } = await initialize(app)
  const ping = await post(app, rpc(1, 'ping'), { ...headers, origin: ORIGIN })
  assert.equal(ping.statusCode, 200)
  assertExposesMcpHeaders(ping.headers, 'ping')
})

test('CORS: error answers expose them too', async (t) => {
  const app = await corsApp(t)
  const missing = await post(app, rpc(1, 'ping'), { origin: ORIGIN })
  assertRpcError(missing, { status: 400, code: -32000, message: 'Bad Request: the Mcp-Session-Id header is required' })
  assertExposesMcpHeaders(missing.headers, '400')
  const unknown = await post(app, rpc(1, 'ping'), { origin: ORIGIN, 'mcp-session-id': 'gone' })
  assertRpcError(unknown, { status: 404, code: -32001, message: 'Session not found' })
  assertExposesMcpHeaders(unknown.headers, '404')
  const parse = await post(app, '{', { origin: ORIGIN })
  assertRpcError(parse, { status: 400, code: -32700, message: 'Parse error: the body is not valid JSON' })
  assertExposesMcpHeaders(parse.headers, 'parse error')
})

test('CORS: SSE answers expose them too, POST and GET', async (t) => {
  const agent = httpClient(t)
  const app = await corsApp(t)
  const { headers } = await initialize(app)
  const answer = await post(app, callTool(1, 'chatty', {}, 'p'), { ...headers, origin: ORIGIN })
  assert.equal(answer.statusCode, 200)
  assert.equal(answer.headers['content-type'], 'text/event-stream')
  assert.equal(parseSse(answer.body).length, 3)
  assertExposesMcpHeaders(answer.headers, 'POST SSE')
  const url = `${await listen(app)}/mcp`
  const get = await openStream(agent, url, { headers: { ...headers, origin: ORIGIN } })
  assert.equal(get.statusCode, 200)
  assert.equal(get.headers['content-type'], 'text/event-stream')
  assertExposesMcpHeaders(get.headers, 'GET SSE')
})

test('CORS: headers the app already exposes are kept', async (t) => {
  const app = await corsApp(t, { exposedHeaders: ['X-Request-Id'] })
  const response = await post(app, initializeBody(), { origin: ORIGIN })
  assert.equal(response.statusCode, 200)
  assertExposesMcpHeaders(response.headers, 'initialize')
  assert.ok(exposed(response.headers).includes('x-request-id'))
})

test('without a cross-origin request nothing is exposed', async (t) => {
  const app = await corsApp(t)
  const response = await post(app, initializeBody())
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['access-control-allow-origin'], undefined)
  assert.deepEqual(exposed(response.headers), [])
})
