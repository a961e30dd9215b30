import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { buildConformanceApp } from '@mcp-fastify/example-conformance'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema, McpError,
  type CreateMessageRequest, type ElicitRequest, type LoggingMessageNotification, type Progress
} from '@modelcontextprotocol/sdk/types.js'
import { Type } from '@sinclair/typebox'
import { connectStreamable, serve, textOf, waitFor, withTimeout, type Served } from './helpers.ts'

/**
 * `undefined`: the SDK's own `initialize` (it asks for its latest, 2025-11-25). The SDK client has
 * no option to ask for an older revision, so for the others the transport's outgoing
 * `initialize` is rewritten (see `askForVersion` in helpers.ts); everything after it (the
 * version check, the `MCP-Protocol-Version` header) is the SDK's own doing.
 */
const VERSIONS: Array<{ asked: string | undefined, expected: string }> = [
  { asked: undefined, expected: '2025-11-25' },
  { asked: '2025-06-18', expected: '2025-06-18' },
  { asked: '2025-03-26', expected: '2025-03-26' }
]

async function conformance (t: TestContext): Promise<Served> {
  return serve(t, await buildConformanceApp())
}

for (const { asked, expected } of VERSIONS) {
  const label = asked === undefined ? `${expected} (SDK default)` : `${expected} (asked for)`

  describe(`Streamable HTTP, SDK client, protocol ${label}`, () => {
    test('initialize negotiates the version and announces the server', async (t) => {
      const served = await conformance(t)
      const { client, transport } = await connectStreamable(served, { protocolVersion: asked })
      assert.equal(transport.protocolVersion, expected)
      assert.equal(typeof transport.sessionId, 'string')
      assert.match(transport.sessionId!, /^[\x21-\x7e]+$/)
      assert.deepEqual(client.getServerVersion(), { name: 'mcp-fastify-conformance', version: '0.1.0' })
      const capabilities = client.getServerCapabilities()
      assert.ok(capabilities?.tools !== undefined, 'tools capability')
      assert.ok(capabilities?.resources !== undefined, 'resources capability')
      assert.ok(capabilities?.prompts !== undefined, 'prompts capability')
      assert.ok(capabilities?.logging !== undefined, 'logging capability')
      assert.ok(capabilities?.completions !== undefined, 'completions capability')
    })

    test('listTools and callTool echo', async (t) => {
      const served = await conformance(t)
      const { client } = await connectStreamable(served, { protocolVersion: asked })
      const { tools } = await client.listTools()
      const echo = tools.find((tool) => tool.name === 'echo')
      assert.ok(echo !== undefined, `echo listed among ${tools.map((tool) => tool.name).join(', ')}`)
      assert.equal(echo.inputSchema.type, 'object')
      assert.deepEqual(echo.inputSchema.required, ['text'])
      assert.ok(tools.some((tool) => tool.name === 'test_tool_with_progress'))

      const result = await client.callTool({ name: 'echo', arguments: { text: `hello ${expected}` } })
      assert.deepEqual(result.content, [{ type: 'text', text: `hello ${expected}` }])
      assert.notEqual(result.isError, true)

      // Arguments that do not fit the input schema: a tool error the model can read.
      const wrong = await client.callTool({ name: 'echo', arguments: { text: 42 } })
      assert.equal(wrong.isError, true)
      // An unknown tool: a protocol error.
      await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }),
        (error: unknown) => error instanceof McpError && error.code === -32602)
    })

    test('callTool test_tool_with_progress: three increasing progress notifications, then the result', async (t) => {
      const served = await conformance(t)
      const { client } = await connectStreamable(served, { protocolVersion: asked })
      const events: string[] = []
      const progress: Progress[] = []
      const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
        onprogress: (update) => {
          progress.push(update)
          events.push(`progress ${update.progress}`)
        }
      })
      events.push('result')
      assert.equal(textOf(result), 'Tool with progress executed successfully')
      assert.deepEqual(events, ['progress 0', 'progress 50', 'progress 100', 'result'])
      assert.deepEqual(progress.map(({ progress, total }) => ({ progress, total })),
        [{ progress: 0, total: 100 }, { progress: 50, total: 100 }, { progress: 100, total: 100 }])
      assert.deepEqual(progress.map(({ message }) => message),
        ['Completed step 0 of 100', 'Completed step 50 of 100', 'Completed step 100 of 100'])
    })

    test('test_tool_with_logging after setLoggingLevel: the log notifications reach the handler', async (t) => {
      const served = await conformance(t)
      const logs: Array<LoggingMessageNotification['params']> = []
      const { client } = await connectStreamable(served, {
        protocolVersion: asked,
        setup: (client) => client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
          logs.push(notification.params)
        })
      })
      assert.deepEqual(await client.setLoggingLevel('debug'), {})
      const result = await client.callTool({ name: 'test_tool_with_logging', arguments: {} })
      assert.equal(textOf(result), 'Tool with logging executed successfully')
      await waitFor(() => logs.length >= 3, 2000, 'three log notifications')
      assert.deepEqual(logs, [
        { level: 'info', data: 'Tool execution started' },
        { level: 'info', data: 'Tool processing data' },
        { level: 'info', data: 'Tool execution completed' }
      ])

      // Above the messages' level, nothing more is sent (they would come before the result).
      await client.setLoggingLevel('warning')
      assert.equal(textOf(await client.callTool({ name: 'test_tool_with_logging', arguments: {} })),
        'Tool with logging executed successfully')
      await new Promise((resolve) => setImmediate(resolve))
      assert.equal(logs.length, 3)
    })

    test('test_sampling is answered by the client\'s CreateMessageRequest handler', async (t) => {
      const served = await conformance(t)
      const asks: Array<CreateMessageRequest['params']> = []
      const { client } = await connectStreamable(served, {
        protocolVersion: asked,
        setup: (client) => client.setRequestHandler(CreateMessageRequestSchema, (request) => {
          asks.push(request.params)
          const content = request.params.messages[0]?.content
          const prompt = content !== undefined && !Array.isArray(content) && content.type === 'text' ? content.text : '?'
          return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `sampled <${prompt}>` }, stopReason: 'endTurn' }
        })
      })
      const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is 2+2?' } })
      assert.equal(textOf(result), 'LLM response: sampled <What is 2+2?>')
      assert.equal(asks.length, 1)
      assert.equal(asks[0]?.maxTokens, 100)
      assert.deepEqual(asks[0]?.messages, [{ role: 'user', content: { type: 'text', text: 'What is 2+2?' } }])
    })

    if (expected >= '2025-06-18') {
      test('test_elicitation is answered by the client\'s ElicitRequest handler', async (t) => {
        const served = await conformance(t)
        const asks: Array<ElicitRequest['params']> = []
        const { client } = await connectStreamable(served, {
          protocolVersion: asked,
          setup: (client) => client.setRequestHandler(ElicitRequestSchema, (request) => {
            asks.push(request.params)
            return { action: 'accept', content: { username: 'alice', email: 'alice@example.com' } }
          })
        })
        const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } })
        assert.equal(textOf(result), 'User response: action=accept, content={"username":"alice","email":"alice@example.com"}')
        assert.equal(asks.length, 1)
        assert.equal(asks[0]?.message, 'Who are you?')
        assert.ok('requestedSchema' in asks[0]! && asks[0].requestedSchema.required?.includes('username'))
      })
    } else {
      test('test_elicitation: no elicitation/create before 2025-06-18, a tool error instead', async (t) => {
        const served = await conformance(t)
        let asked = 0
        const { client } = await connectStreamable(served, {
          protocolVersion: expected,
          setup: (client) => client.setRequestHandler(ElicitRequestSchema, () => {
            asked++
            return { action: 'decline' }
          })
        })
        const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } })
        assert.equal(result.isError, true)
        assert.equal(asked, 0)
      })
    }

    test('resources: list, read a static resource and a template', async (t) => {
      const served = await conformance(t)
      const { client } = await connectStreamable(served, { protocolVersion: asked })
      const { resources } = await client.listResources()
      const uris = resources.map((resource) => resource.uri)
      for (const uri of ['test://static-text', 'test://static-binary', 'test://watched-resource']) {
        assert.ok(uris.includes(uri), `${uri} listed among ${uris.join(', ')}`)
      }
      const text = await client.readResource({ uri: 'test://static-text' })
      assert.deepEqual(text.contents, [{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }])

      const { resourceTemplates } = await client.listResourceTemplates()
      assert.ok(resourceTemplates.some((template) => template.uriTemplate === 'test://template/{id}/data'))
      const templated = await client.readResource({ uri: 'test://template/order-42/data' })
      assert.equal(templated.contents.length, 1)
      assert.equal(templated.contents[0]?.uri, 'test://template/order-42/data')
      assert.equal(templated.contents[0]?.mimeType, 'application/json')
      const body = templated.contents[0] !== undefined && 'text' in templated.contents[0] ? templated.contents[0].text : ''
      assert.deepEqual(JSON.parse(body), { id: 'order-42', templateTest: true, data: 'Data for ID: order-42' })

      await assert.rejects(client.readResource({ uri: 'test://nothing-here' }), McpError)
    })

    test('prompts: list, get with arguments, complete an argument', async (t) => {
      const served = await conformance(t)
      const { client } = await connectStreamable(served, { protocolVersion: asked })
      const { prompts } = await client.listPrompts()
      const withArguments = prompts.find((prompt) => prompt.name === 'test_prompt_with_arguments')
      assert.ok(withArguments !== undefined)
      assert.deepEqual(withArguments.arguments?.map(({ name, required }) => ({ name, required })),
        [{ name: 'arg1', required: true }, { name: 'arg2', required: true }])

      const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'first', arg2: 'second' } })
      assert.deepEqual(prompt.messages, [
        { role: 'user', content: { type: 'text', text: 'Prompt with arguments: arg1=\'first\', arg2=\'second\'' } }
      ])
      await assert.rejects(client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'only one' } }), McpError)

      const completion = await client.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'par' }
      })
      assert.deepEqual(completion.completion.values, ['paris', 'park', 'party'])
      const narrower = await client.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'pari' }
      })
      assert.deepEqual(narrower.completion.values, ['paris'])
    })

    test('ping, then terminateSession (DELETE): the old session is gone (404), others live on', async (t) => {
      const served = await conformance(t)
      const { client, transport } = await connectStreamable(served, { protocolVersion: asked })
      const { client: other } = await connectStreamable(served, { protocolVersion: asked })
      assert.deepEqual(await client.ping(), {})

      const sessionId = transport.sessionId
      assert.equal(typeof sessionId, 'string')
      await transport.terminateSession()
      assert.equal(transport.sessionId, undefined)

      // An SDK client resuming the old session (connect() does not initialize when it has one).
      const stale = served.track(new Client({ name: 'stale', version: '1.0.0' }))
      const staleTransport = new StreamableHTTPClientTransport(served.url, { sessionId })
      staleTransport.setProtocolVersion(expected)
      await withTimeout(stale.connect(staleTransport), 5000, 'connect with the old session')
      await assert.rejects(stale.ping(), (error: unknown) => error instanceof StreamableHTTPError && error.code === 404)
      await assert.rejects(stale.listTools(), (error: unknown) => error instanceof StreamableHTTPError && error.code === 404)

      // The same, on the wire: 404 with a JSON-RPC error that names the request.
      const response = await fetch(served.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId!,
          'mcp-protocol-version': expected
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' })
      })
      assert.equal(response.status, 404)
      const body = await response.json() as { jsonrpc: string, error?: { code: number } }
      assert.equal(body.jsonrpc, '2.0')
      assert.equal(typeof body.error?.code, 'number')
      const again = await fetch(served.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId!, 'mcp-protocol-version': expected } })
      assert.equal(again.status, 404)

      // The other session is untouched.
      assert.deepEqual(await other.ping(), {})
      assert.deepEqual((await other.callTool({ name: 'echo', arguments: { text: 'still here' } })).content,
        [{ type: 'text', text: 'still here' }])
    })
  })
}

test('roots: a tool added to the conformance app lists the client\'s roots through its ListRoots handler', async (t) => {
  const app = await buildConformanceApp()
  app.mcp.tool({
    name: 'e2e_list_roots',
    description: 'Lists the client\'s roots',
    handler: async (_args, ctx) => {
      const { roots } = await ctx.listRoots()
      return { content: [{ type: 'text', text: roots.map((root) => `${root.name ?? ''}=${root.uri}`).join(';') }] }
    }
  })
  const served = await serve(t, app)
  let asked = 0
  const { client } = await connectStreamable(served, {
    setup: (client) => client.setRequestHandler(ListRootsRequestSchema, () => {
      asked++
      return { roots: [{ uri: 'file:///tmp/project', name: 'project' }, { uri: 'file:///tmp/other', name: 'other' }] }
    })
  })
  const result = await client.callTool({ name: 'e2e_list_roots', arguments: {} })
  assert.equal(textOf(result), 'project=file:///tmp/project;other=file:///tmp/other')
  assert.equal(asked, 1)
})

/**
 * The conformance app plus `e2e_after_cancel`: reports progress 1, waits until its request is
 * cancelled (3 s at most), then goes on as a handler that does not watch its signal would,
 * with more progress or a sampling request, and tells the test what came of it.
 */
async function cancellationApp (t: TestContext): Promise<{ served: Served, finished: Promise<{ cancelled: boolean, sample?: string }> }> {
  const app = await buildConformanceApp()
  let settle!: (outcome: { cancelled: boolean, sample?: string }) => void
  const finished = new Promise<{ cancelled: boolean, sample?: string }>((resolve) => { settle = resolve })
  app.mcp.tool({
    name: 'e2e_after_cancel',
    inputSchema: Type.Object({ then: Type.Union([Type.Literal('progress'), Type.Literal('sample')]) }),
    handler: async ({ then }, ctx) => {
      await ctx.progress(1, 3, 'before the cancellation')
      await Promise.race([
        new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true })),
        new Promise((resolve) => setTimeout(resolve, 3000))
      ])
      const outcome: { cancelled: boolean, sample?: string } = { cancelled: ctx.signal.aborted }
      if (then === 'progress') {
        await ctx.progress(2, 3, 'after the cancellation')
        await ctx.progress(3, 3, 'after the cancellation')
      } else {
        outcome.sample = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'after the cancellation' } }], maxTokens: 5 })
          .then(() => 'answered', (error: Error) => `failed: ${error.message}`)
      }
      settle(outcome)
      return { content: [{ type: 'text', text: 'too late' }] }
    }
  })
  return { served: await serve(t, app), finished }
}

/** Calls `e2e_after_cancel` and cancels it (AbortSignal: the SDK sends notifications/cancelled) once it reported progress. */
async function callAndCancel (client: Client, then: 'progress' | 'sample'): Promise<unknown> {
  const controller = new AbortController()
  return client.callTool({ name: 'e2e_after_cancel', arguments: { then } }, undefined, {
    signal: controller.signal,
    onprogress: () => controller.abort(new Error('the user gave up'))
  }).then(() => 'resolved', (error: unknown) => error)
}

test('cancellation: after the SDK client cancels a call, no more progress for its token (utilities/progress)', async (t) => {
  const { served, finished } = await cancellationApp(t)
  const errors: string[] = []
  const { client, wire } = await connectStreamable(served)
  client.onerror = (error) => { errors.push(error.message) }

  const outcome = await withTimeout(callAndCancel(client, 'progress'), 5000, 'the cancelled call')
  assert.ok(outcome instanceof Error, 'the call is rejected on the client')
  assert.deepEqual(await withTimeout(finished, 5000, 'the handler'), { cancelled: true })
  // A later round trip: whatever the server wrote before it is in by then.
  assert.deepEqual(await client.ping(), {})
  await new Promise((resolve) => setImmediate(resolve))

  const progress = wire.filter((message) => 'method' in message && message.method === 'notifications/progress')
  assert.deepEqual(progress.map((message) => 'params' in message ? message.params?.message : undefined), ['before the cancellation'],
    'progress notifications must stop once the request is cancelled: its token no longer names an active request')
  assert.deepEqual(errors.filter((message) => message.includes('unknown token')), [])
  assert.equal(wire.filter((message) => 'result' in message && JSON.stringify(message.result).includes('too late')).length, 0,
    'a cancelled request gets no response')
})

test('cancellation: a cancelled call does not send the client a sampling request (utilities/cancellation)', async (t) => {
  const { served, finished } = await cancellationApp(t)
  let sampled = 0
  const { client, wire } = await connectStreamable(served, {
    setup: (client) => client.setRequestHandler(CreateMessageRequestSchema, () => {
      sampled++
      return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: 'answered anyway' } }
    })
  })

  const outcome = await withTimeout(callAndCancel(client, 'sample'), 5000, 'the cancelled call')
  assert.ok(outcome instanceof Error, 'the call is rejected on the client')
  const handler = await withTimeout(finished, 5000, 'the handler')
  assert.equal(handler.cancelled, true)
  assert.match(handler.sample ?? '', /^failed: /, 'ctx.sample() in a cancelled request must fail at once, without asking the client')
  assert.equal(sampled, 0, 'the client was asked to sample for a request it cancelled')
  assert.equal(wire.filter((message) => 'method' in message && message.method === 'sampling/createMessage').length, 0)
})
