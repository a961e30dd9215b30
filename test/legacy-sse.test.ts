import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildConformanceApp } from '@mcp-fastify/example-conformance'
import {
  CreateMessageRequestSchema, LoggingMessageNotificationSchema, McpError,
  type LoggingMessageNotification, type Progress
} from '@modelcontextprotocol/sdk/types.js'
import { connectLegacy, serve, textOf, waitFor } from './helpers.ts'

/** Reads the first SSE event of GET /sse (the `endpoint` event), then lets the connection go. */
async function endpointEvent (base: string): Promise<{ status: number, contentType: string | null, event: string, data: string, abort: () => void }> {
  const controller = new AbortController()
  const response = await fetch(`${base}/sse`, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  const deadline = Date.now() + 2000
  while (!text.includes('\n\n') && Date.now() < deadline) {
    const { value, done } = await reader.read()
    if (done) break
    text += value
  }
  const block = text.split('\n\n')[0] ?? ''
  const field = (name: string): string => block.split('\n').find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? ''
  return { status: response.status, contentType: response.headers.get('content-type'), event: field('event'), data: field('data'), abort: () => controller.abort() }
}

test('GET /sse opens an event stream whose first event names the messages endpoint', async (t) => {
  const served = await serve(t, await buildConformanceApp())
  const first = await endpointEvent(served.base)
  t.after(first.abort)
  assert.equal(first.status, 200)
  assert.match(first.contentType ?? '', /^text\/event-stream/)
  assert.equal(first.event, 'endpoint')
  assert.match(first.data, /^\/messages\?sessionId=[^&\s]+$/)
})

test('SSEClientTransport: connect, listTools, callTool echo and test_tool_with_progress', async (t) => {
  const served = await serve(t, await buildConformanceApp())
  const { client, wire } = await connectLegacy(served)
  assert.deepEqual(client.getServerVersion(), { name: 'mcp-fastify-conformance', version: '0.1.0' })
  assert.ok(client.getServerCapabilities()?.tools !== undefined)

  const { tools } = await client.listTools()
  const names = tools.map((tool) => tool.name)
  for (const name of ['echo', 'test_tool_with_progress', 'test_sampling']) {
    assert.ok(names.includes(name), `${name} listed among ${names.join(', ')}`)
  }

  const echoed = await client.callTool({ name: 'echo', arguments: { text: 'over the old transport' } })
  assert.deepEqual(echoed.content, [{ type: 'text', text: 'over the old transport' }])

  const progress: Progress[] = []
  const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
    onprogress: (update) => { progress.push(update) }
  })
  assert.equal(textOf(result), 'Tool with progress executed successfully')

  // On the wire: three increasing progress notifications carrying the call's token, then its result.
  const response = wire.find((message) => 'result' in message && JSON.stringify(message.result).includes('Tool with progress'))
  assert.ok(response !== undefined && 'id' in response)
  const call = wire.filter((message) => message === response ||
    ('method' in message && message.method === 'notifications/progress' && message.params?.progressToken === response.id))
  assert.deepEqual(call.map((message) => 'method' in message ? `progress ${String(message.params?.progress)}/${String(message.params?.total)}` : 'result'),
    ['progress 0/100', 'progress 50/100', 'progress 100/100', 'result'])

  // What onprogress gets: the SDK hands progress to its handler a microtask late but the response at
  // once, and the `eventsource` package dispatches the events of one chunk together, so the last
  // progress notification, written right before the result, reaches a handler the response already
  // removed (modelcontextprotocol/typescript-sdk#2580; not a server fault). The others must arrive.
  assert.deepEqual(progress.slice(0, 2).map(({ progress, total }) => ({ progress, total })),
    [{ progress: 0, total: 100 }, { progress: 50, total: 100 }])
  assert.ok(progress.length <= 3 && progress.every((update, i) => i === 0 || update.progress > progress[i - 1]!.progress))

  assert.deepEqual(await client.ping(), {})
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), McpError)
})

test('SSEClientTransport: logging, sampling, resources and prompts travel on the SSE stream', async (t) => {
  const served = await serve(t, await buildConformanceApp())
  const logs: Array<LoggingMessageNotification['params']> = []
  const { client } = await connectLegacy(served, {
    setup: (client) => {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => { logs.push(notification.params) })
      client.setRequestHandler(CreateMessageRequestSchema, (request) => {
        const content = request.params.messages[0]?.content
        const prompt = content !== undefined && !Array.isArray(content) && content.type === 'text' ? content.text : '?'
        return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `legacy <${prompt}>` } }
      })
    }
  })

  await client.setLoggingLevel('debug')
  assert.equal(textOf(await client.callTool({ name: 'test_tool_with_logging', arguments: {} })), 'Tool with logging executed successfully')
  await waitFor(() => logs.length >= 3, 2000, 'three log notifications')
  assert.deepEqual(logs.map(({ data }) => data), ['Tool execution started', 'Tool processing data', 'Tool execution completed'])

  assert.equal(textOf(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })), 'LLM response: legacy <hi>')

  const resource = await client.readResource({ uri: 'test://static-text' })
  assert.equal(resource.contents[0] !== undefined && 'text' in resource.contents[0] ? resource.contents[0].text : '',
    'This is the content of the static text resource.')
  const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } })
  assert.deepEqual(prompt.messages[0]?.content, { type: 'text', text: 'Prompt with arguments: arg1=\'a\', arg2=\'b\'' })
})

test('SSEClientTransport: two clients at once each get their own answers', async (t) => {
  const served = await serve(t, await buildConformanceApp())
  const clients = await Promise.all(['left', 'right'].map(async (name) => ({ name, ...await connectLegacy(served, { name }) })))
  const results = await Promise.all(clients.flatMap(({ name, client }) => [1, 2, 3, 4, 5].map(async (n) => {
    const result = await client.callTool({ name: 'echo', arguments: { text: `${name}-${n}` } })
    return { expected: `${name}-${n}`, actual: textOf(result) }
  })))
  for (const { expected, actual } of results) assert.equal(actual, expected)
})

test('the messages endpoint refuses a sessionId whose SSE stream is closed (404), and an unknown one, while others are open', async (t) => {
  const served = await serve(t, await buildConformanceApp())
  const first = await endpointEvent(served.base)
  const second = await endpointEvent(served.base)
  t.after(second.abort)
  assert.equal(first.event, 'endpoint')
  assert.equal(second.event, 'endpoint')
  assert.notEqual(first.data, second.data)
  const messages = new URL(first.data, served.base)
  const post = async (url: URL): Promise<number> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    })
    await response.body?.cancel()
    return response.status
  }

  // While the stream is open, the POST is accepted (the answer travels on the stream).
  assert.equal(await post(messages), 202)

  first.abort()
  await waitFor(async () => await post(messages) === 404, 2000, 'the closed stream\'s sessionId to be refused')

  // Another client's stream is still open: neither an unknown id nor none at all may reach it.
  const unknown = new URL(messages)
  unknown.searchParams.set('sessionId', 'not-a-session')
  assert.equal(await post(unknown), 404)
  const none = new URL(messages)
  none.search = ''
  assert.equal(await post(none), 404)
  assert.equal(await post(new URL(second.data, served.base)), 202)
})
