import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeSession, resultOf, send, server } from './helpers.ts'

// A tool that asks the client for input on 2026-07-28 traffic ends its run there (the engine
// answers input_required); that is the protocol working, not the tool failing, so onError
// listeners (logs, error metrics) must not hear of it.

const modern = () => makeSession({ id: undefined, protocolVersion: '2026-07-28', clientCapabilities: { elicitation: {} } })

test('a tool asking for input is answered input_required and reported to no onError listener', async () => {
  const seen: unknown[] = []
  const mcp = server({ onError: (error) => { seen.push(error) } })
  mcp.tool({
    name: 'greet',
    description: 'Asks a name',
    handler: async (_args, ctx) => {
      const answer = await ctx.elicit({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { key: 'user_name' })
      return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)}` }] }
    }
  })

  const first = resultOf(await send(mcp, 'tools/call', { name: 'greet', arguments: {} }, modern()))
  assert.equal(first.resultType, 'input_required')
  assert.deepEqual(Object.keys(first.inputRequests as object), ['user_name'])
  assert.equal(first.isError, undefined)
  assert.deepEqual(seen, [])

  const second = resultOf(await send(mcp, 'tools/call', {
    name: 'greet', arguments: {}, inputResponses: { user_name: { action: 'accept', content: { name: 'Ada' } } }, requestState: first.requestState
  }, modern()))
  assert.deepEqual(second.content, [{ type: 'text', text: 'Hello, Ada' }])
  assert.deepEqual(seen, [])
})

test('a tool that fails after its input arrived is still reported', async () => {
  const seen: unknown[] = []
  const mcp = server({ onError: (error) => { seen.push(error) } })
  mcp.tool({
    name: 'fragile',
    description: 'Asks, then breaks',
    handler: async (_args, ctx) => {
      await ctx.elicit({ message: 'Go?', requestedSchema: { type: 'object', properties: { go: { type: 'boolean' } } } }, { key: 'go' })
      throw new Error('broken')
    }
  })

  const first = resultOf(await send(mcp, 'tools/call', { name: 'fragile', arguments: {} }, modern()))
  assert.equal(first.resultType, 'input_required')
  assert.equal(seen.length, 0)
  const second = resultOf(await send(mcp, 'tools/call', {
    name: 'fragile', arguments: {}, inputResponses: { go: { action: 'accept', content: { go: true } } }, requestState: first.requestState
  }, modern()))
  assert.equal(second.isError, true)
  assert.equal(seen.length, 1)
  assert.equal((seen[0] as Error).message, 'broken')
})
