// Regression: a tool's exception went to the client word for word (a connection string with its
// password, say) and was logged nowhere; a handler that forgot to return sent a result-less
// response, one that returned 42 sent `"result":42`, neither logged. Now the client gets a
// generic tool error or -32603, and the request log gets the error with the tool's name.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test, type TestContext } from 'node:test'
import { UserError } from '@mcp-fastify/mcp-protocol'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import Fastify, { type FastifyInstance } from 'fastify'
import { callTool, initialize, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'

const SECRET = 'connect ECONNREFUSED postgres://admin:s3cret@10.0.0.5/db'

/** An app whose log lines are kept, with tools that fail in every way user code can. */
async function build (t: TestContext): Promise<{ app: FastifyInstance, lines: Array<Record<string, any>> }> {
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
  const app = Fastify({ logger: { level: 'info', stream } })
  t.after(() => app.close())
  await app.register(mcpSession)
  await app.register(mcpTransport)
  app.mcp.tool({ name: 'db_query', handler: async () => { throw new Error(SECRET) } })
  app.mcp.tool({ name: 'forgets_to_return', handler: (async () => {}) as never })
  app.mcp.tool({ name: 'returns_a_number', handler: (() => 42) as never })
  app.mcp.tool({ name: 'says_why', handler: () => { throw new UserError('No city named Atlantis') } })
  app.mcp.resource({ uri: 'notes://secret', name: 'secret', read: () => { throw new Error(SECRET) } })
  await app.ready()
  return { app, lines }
}

test('a tool that throws: the client gets a generic tool error, the log gets the error and the tool', async (t) => {
  const { app, lines } = await build(t)
  const { headers } = await initialize(app)
  const response = await post(app, callTool(1, 'db_query'), headers)
  assert.strictEqual(response.statusCode, 200)
  assert.doesNotMatch(response.body, /s3cret|ECONNREFUSED/)
  assert.deepStrictEqual(JSON.parse(response.body).result, {
    content: [{ type: 'text', text: 'Tool db_query failed with an internal error' }],
    isError: true
  })
  const logged = lines.find((line) => line.msg === 'MCP handler failed')
  assert.ok(logged !== undefined, 'the failure is logged')
  assert.strictEqual(logged.level, 50)
  assert.strictEqual(logged.target, 'db_query')
  assert.strictEqual(logged.method, 'tools/call')
  assert.match(logged.err.message, /s3cret/)
  assert.ok(logged.reqId !== undefined, 'on the request log')
})

test('a tool that returns nothing, or a number: -32603 without detail, and a log line naming the tool and the path', async (t) => {
  const { app, lines } = await build(t)
  const { headers } = await initialize(app)
  for (const [id, name] of [[2, 'forgets_to_return'], [3, 'returns_a_number']] as const) {
    const response = await post(app, callTool(id, name), headers)
    assert.deepStrictEqual(JSON.parse(response.body), { jsonrpc: '2.0', id, error: { code: -32603, message: 'Internal error' } })
    const logged = lines.find((line) => line.msg === 'MCP handler failed' && line.target === name)
    assert.ok(logged !== undefined, `${name} is logged`)
    assert.match(logged.err.message, new RegExp(`tool "${name}" returned an invalid result: /`))
  }
})

test('a UserError reaches the client as the tool error it means; a resource that throws is -32603 without detail', async (t) => {
  const { app } = await build(t)
  const { headers } = await initialize(app)
  const said = JSON.parse((await post(app, callTool(4, 'says_why'), headers)).body)
  assert.deepStrictEqual(said.result, { content: [{ type: 'text', text: 'No city named Atlantis' }], isError: true })
  const read = await post(app, rpc(5, 'resources/read', { uri: 'notes://secret' }), headers)
  assert.deepStrictEqual(JSON.parse(read.body), { jsonrpc: '2.0', id: 5, error: { code: -32603, message: 'Internal error' } })
})
