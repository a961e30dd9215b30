import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  CreateMessageRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema,
  type JSONRPCMessage, type Progress
} from '@modelcontextprotocol/sdk/types.js'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { connectStreamable, serve, textOf, waitFor, withTimeout, type Connected, type Served } from './helpers.ts'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

const CLIENTS = 24
const CALLS = 4
const STEPS = ['started', 'sampled'] as const
const MARKER = /mk-\d{2}-[0-9a-f]{8}/g

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const jitter = (): Promise<void> => sleep(Math.floor(Math.random() * 15))

/**
 * `marked`: everything it sends carries the caller's marker (from its arguments): progress,
 * log messages, a sampling request; it returns the marker with the sampled answer, so a
 * sampling answer from another client shows in the result.
 */
function declareMarked (mcp: McpServer): void {
  mcp.tool({
    name: 'marked',
    description: 'Reports progress, logs and samples, all marked with its caller\'s marker',
    inputSchema: Type.Object({ marker: Type.String(), call: Type.Integer() }),
    handler: async ({ marker, call }, ctx) => {
      const tag = `${marker}/${call}`
      await ctx.progress(1, 3, `${tag} started`)
      await ctx.log('info', { marker, call, step: 'started' })
      await jitter()
      const sampled = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: `prompt ${tag}` } }], maxTokens: 10 })
      const answer = 'type' in sampled.content && sampled.content.type === 'text' ? sampled.content.text : JSON.stringify(sampled.content)
      await ctx.progress(2, 3, `${tag} sampled`)
      await ctx.log('info', { marker, call, step: 'sampled' })
      await jitter()
      await ctx.progress(3, 3, `${tag} done`)
      return { content: [{ type: 'text', text: JSON.stringify({ marker, call, answer }) }] }
    }
  })
}

interface Variant {
  sessions: boolean
  responseMode: 'auto' | 'json'
}

async function isolationApp (variant: Variant): Promise<FastifyInstance> {
  const app = Fastify()
  if (variant.sessions) await app.register(mcpSession)
  // A short server-side wait for sampling answers, so a lost request fails the test quickly.
  await app.register(mcpTransport, { responseMode: variant.responseMode, requestTimeoutMs: 5000 })
  declareMarked(app.mcp)
  return app
}

/** What one client saw through the SDK's own dispatch (handlers and callbacks). */
interface Seen {
  prompts: string[]
  logs: Array<{ marker?: unknown, call?: unknown, step?: unknown }>
  progress: Map<number, Progress[]>
  errors: Error[]
}

interface Participant extends Connected<StreamableHTTPClientTransport> {
  marker: string
  seen: Seen
}

async function participant (served: Served, index: number): Promise<Participant> {
  const marker = `mk-${String(index).padStart(2, '0')}-${randomBytes(4).toString('hex')}`
  const seen: Seen = { prompts: [], logs: [], progress: new Map(), errors: [] }
  const connected = await connectStreamable(served, {
    name: marker,
    capabilities: { sampling: {} },
    setup: (client: Client) => {
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        const content = request.params.messages[0]?.content
        const prompt = content !== undefined && !Array.isArray(content) && content.type === 'text' ? content.text : '?'
        seen.prompts.push(prompt)
        await jitter()
        return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `answer to <${prompt}> from ${marker}` } }
      })
      client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
        seen.logs.push(notification.params.data as Seen['logs'][number])
      })
    }
  })
  connected.client.onerror = (error) => { seen.errors.push(error) }
  return { ...connected, marker, seen }
}

function isNotification (message: JSONRPCMessage, method: string): message is JSONRPCMessage & { method: string, params: Record<string, unknown> } {
  return 'method' in message && !('id' in message) && message.method === method
}

/** Checks everything `who` received: only its own marker, and exactly the expected messages. */
function checkParticipant (who: Participant, results: Array<{ call: number, text: string }>, sdkProgress: boolean): void {
  const { marker, wire, seen } = who

  // Results: one per call, each with the caller's marker and the caller's own sampling answer.
  assert.equal(results.length, CALLS)
  for (const { call, text } of results) {
    assert.deepEqual(JSON.parse(text), { marker, call, answer: `answer to <prompt ${marker}/${call}> from ${marker}` })
  }

  // Every message on the wire names this client's marker and no other.
  for (const message of wire) {
    const found = JSON.stringify(message).match(MARKER) ?? []
    for (const other of found) assert.equal(other, marker, `${marker} received ${JSON.stringify(message)}`)
  }

  // Exact counts on the wire.
  const progress = wire.filter((message) => isNotification(message, 'notifications/progress'))
  const logs = wire.filter((message) => isNotification(message, 'notifications/message'))
  const samplings = wire.filter((message) => 'method' in message && 'id' in message && message.method === 'sampling/createMessage')
  const toolResults = wire.filter((message) => 'result' in message && JSON.stringify(message.result).includes('"marker'))
  assert.equal(progress.length, 3 * CALLS, `${marker}: progress notifications`)
  assert.equal(logs.length, STEPS.length * CALLS, `${marker}: log notifications`)
  assert.equal(samplings.length, CALLS, `${marker}: sampling requests`)
  assert.equal(toolResults.length, CALLS, `${marker}: tool results`)
  assert.equal(wire.filter((message) => 'method' in message && 'id' in message).length, CALLS, `${marker}: requests from the server`)

  // Progress of each call carries that call's token: matched through the result's id.
  for (const response of toolResults) {
    if (!('result' in response)) continue
    const { call } = JSON.parse(textOf(response.result)) as { call: number }
    const mine = progress.filter((message) => message.params.progressToken === response.id)
    assert.deepEqual(mine.map(({ params }) => [params.progress, params.message]),
      [[1, `${marker}/${call} started`], [2, `${marker}/${call} sampled`], [3, `${marker}/${call} done`]])
  }
  assert.deepEqual(logs.map(({ params }) => params.data as Seen['logs'][number]).map(({ marker, call, step }) => `${String(marker)}/${String(call)}/${String(step)}`).sort(),
    expectedLogs(marker))

  // And through the SDK: its sampling handler and logging handler saw exactly this client's own.
  assert.deepEqual([...seen.prompts].sort(), Array.from({ length: CALLS }, (_, call) => `prompt ${marker}/${call}`).sort())
  assert.deepEqual(seen.logs.map(({ marker, call, step }) => `${String(marker)}/${String(call)}/${String(step)}`).sort(), expectedLogs(marker))
  if (sdkProgress) {
    for (let call = 0; call < CALLS; call++) {
      assert.deepEqual(seen.progress.get(call)?.map(({ progress, total, message }) => ({ progress, total, message })), [
        { progress: 1, total: 3, message: `${marker}/${call} started` },
        { progress: 2, total: 3, message: `${marker}/${call} sampled` },
        { progress: 3, total: 3, message: `${marker}/${call} done` }
      ])
    }
    assert.deepEqual(seen.errors.map(String), [], `${marker}: SDK client errors`)
  }
}

function expectedLogs (marker: string): string[] {
  return Array.from({ length: CALLS }, (_, call) => STEPS.map((step) => `${marker}/${call}/${step}`)).flat().sort()
}

async function runIsolation (t: TestContext, variant: Variant): Promise<void> {
  const app = await isolationApp(variant)
  const served = await serve(t, app)
  const participants = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => participant(served, index)))

  const sessionIds = participants.map(({ transport }) => transport.sessionId)
  if (variant.sessions) {
    assert.equal(new Set(sessionIds).size, CLIENTS, 'one session per client')
    await Promise.all(participants.map(({ client }) => client.setLoggingLevel('debug')))
  } else {
    assert.deepEqual(sessionIds.filter((id) => id !== undefined), [], 'no sessions when stateless')
  }
  if (variant.responseMode === 'json') {
    // Messages sent while a request runs go to the session's GET stream: wait until every client has one.
    await waitFor(async () => {
      const sessions = await Promise.all(sessionIds.map((id) => app.mcpSessions.get(id!)))
      return sessions.every((session) => session?.standalone?.connected === true)
    }, 3000, 'every client\'s GET stream')
  }

  // All calls of all clients at once.
  const outcomes = await withTimeout(Promise.all(participants.map(async (who) => {
    const results = await Promise.all(Array.from({ length: CALLS }, async (_, call) => {
      const updates: Progress[] = []
      who.seen.progress.set(call, updates)
      const result = await who.client.callTool({ name: 'marked', arguments: { marker: who.marker, call } }, undefined, {
        onprogress: (update) => { updates.push(update) },
        timeout: 10_000
      })
      assert.notEqual(result.isError, true, `${who.marker}/${call}: ${JSON.stringify(result)}`)
      return { call, text: textOf(result) }
    }))
    return { who, results }
  })), 12_000, 'all calls')

  // Notifications sent before a result may be dispatched a little after it (json mode: another stream).
  await waitFor(() => participants.every(({ wire, seen }) =>
    wire.filter((message) => isNotification(message, 'notifications/progress')).length >= 3 * CALLS &&
    seen.logs.length >= STEPS.length * CALLS), 3000, 'every notification')
  for (const { who, results } of outcomes) checkParticipant(who, results, variant.responseMode === 'auto')
}

test(`${CLIENTS} SDK clients with sessions, ${CALLS} concurrent calls each: only their own progress, logs, sampling and results`, async (t) => {
  await runIsolation(t, { sessions: true, responseMode: 'auto' })
})

test(`${CLIENTS} SDK clients with sessions, responseMode json (messages on each session's GET stream): only their own`, async (t) => {
  await runIsolation(t, { sessions: true, responseMode: 'json' })
})

test(`${CLIENTS} SDK clients, stateless (no mcp-session), ${CALLS} concurrent calls each: only their own`, async (t) => {
  await runIsolation(t, { sessions: false, responseMode: 'auto' })
})

test(`${CLIENTS} SDK clients, stateless: plain concurrent echo calls get their own answers`, async (t) => {
  const app = Fastify()
  await app.register(mcpTransport)
  app.mcp.tool({
    name: 'echo_later',
    inputSchema: Type.Object({ text: Type.String() }),
    handler: async ({ text }) => {
      await jitter()
      return { content: [{ type: 'text', text }] }
    }
  })
  const served = await serve(t, app)
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, index) => connectStreamable(served, { name: `c${index}` })))
  const checks = await Promise.all(clients.flatMap(({ client }, index) => Array.from({ length: 5 }, async (_, call) => {
    const text = `client ${index} call ${call}`
    return { expected: text, actual: textOf(await client.callTool({ name: 'echo_later', arguments: { text } })) }
  })))
  assert.equal(checks.length, CLIENTS * 5)
  for (const { expected, actual } of checks) assert.equal(actual, expected)
})

test(`resources/updated reaches only the sessions subscribed to the resource (${CLIENTS} clients)`, async (t) => {
  const app = Fastify()
  await app.register(mcpSession)
  await app.register(mcpTransport)
  app.mcp.resourceTemplate({
    uriTemplate: 'marked://{marker}',
    name: 'Marked resource',
    read: (uri, { marker = '' }) => ({ contents: [{ uri, mimeType: 'text/plain', text: marker }] })
  })
  const served = await serve(t, app)
  const participants = await Promise.all(Array.from({ length: CLIENTS }, async (_, index) => {
    const marker = `mk-${String(index).padStart(2, '0')}-${randomBytes(4).toString('hex')}`
    const updates: string[] = []
    const connected = await connectStreamable(served, {
      name: marker,
      setup: (client) => client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push(notification.params.uri)
      })
    })
    return { ...connected, marker, updates }
  }))
  // Notifications outside any request travel on each session's GET stream.
  await waitFor(async () => {
    const sessions = await Promise.all(participants.map(({ transport }) => app.mcpSessions.get(transport.sessionId!)))
    return sessions.every((session) => session?.standalone?.connected === true)
  }, 3000, 'every client\'s GET stream')

  await Promise.all(participants.map(({ client, marker }) => client.subscribeResource({ uri: `marked://${marker}` })))
  for (const { marker } of participants) app.mcp.resourceUpdated(`marked://${marker}`)
  app.mcp.resourceUpdated('marked://nobody')

  await waitFor(() => participants.every(({ updates }) => updates.length >= 1), 3000, 'every client\'s update')
  // One more round trip each, so a stray notification would have arrived by now.
  await Promise.all(participants.map(({ client }) => client.ping()))
  for (const { marker, updates, wire } of participants) {
    assert.deepEqual(updates, [`marked://${marker}`])
    for (const message of wire) {
      for (const found of JSON.stringify(message).match(MARKER) ?? []) assert.equal(found, marker)
    }
  }
})

test('a session cannot answer a sampling request sent to another session', async (t) => {
  const served = await serve(t, await isolationApp({ sessions: true, responseMode: 'auto' }))
  const intruder = await participant(served, 98)
  let forged: number | undefined
  const victimMarker = `mk-99-${randomBytes(4).toString('hex')}`
  const { client: victim } = await connectStreamable(served, {
    name: victimMarker,
    capabilities: { sampling: {} },
    setup: (client) => client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      // The intruder answers first, with the victim's request id, from its own session.
      const response = await fetch(served.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': intruder.transport.sessionId!,
          'mcp-protocol-version': intruder.transport.protocolVersion!
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: extra.requestId,
          result: { model: 'forged', role: 'assistant', content: { type: 'text', text: 'forged answer' } }
        })
      })
      forged = response.status
      await response.body?.cancel()
      const content = request.params.messages[0]?.content
      const prompt = content !== undefined && !Array.isArray(content) && content.type === 'text' ? content.text : '?'
      return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: `answer to <${prompt}> from ${victimMarker}` } }
    })
  })
  const result = await victim.callTool({ name: 'marked', arguments: { marker: victimMarker, call: 0 } })
  assert.equal(typeof forged, 'number', 'the forged answer was sent')
  assert.deepEqual(JSON.parse(textOf(result)),
    { marker: victimMarker, call: 0, answer: `answer to <prompt ${victimMarker}/0> from ${victimMarker}` })
  assert.equal(intruder.wire.filter((message) => 'method' in message).length, 0, 'the intruder was sent nothing')
})
