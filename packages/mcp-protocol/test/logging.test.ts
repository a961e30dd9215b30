import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LoggingMessageNotificationSchema as SdkLoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import type { LoggingLevel, McpContext } from '../src/index.ts'
import { assertSdk, call, fail, makeChannel, makeSession, resultOf, server } from './helpers.ts'

const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']

/** A server whose tool `log` logs once at every level. */
function loggingServer () {
  const mcp = server()
  mcp.tool({
    name: 'log',
    handler: async (_args, ctx: McpContext) => {
      for (const level of LEVELS) await ctx.log(level, { level })
      return { content: [] }
    }
  })
  return mcp
}

test('logging/setLevel reaches session.setLogLevel and answers {}', async () => {
  const mcp = server()
  const session = makeSession()
  assert.deepEqual(await call(mcp, 'logging/setLevel', { level: 'warning' }, session), {})
  assert.deepEqual(await call(mcp, 'logging/setLevel', { level: 'debug' }, session), {})
  assert.deepEqual(session.levels, ['warning', 'debug'])
})

test('logging/setLevel waits for an asynchronous session', async () => {
  const mcp = server()
  const order: string[] = []
  const session = {
    ...makeSession(),
    async setLogLevel (level: LoggingLevel) {
      await new Promise((resolve) => setImmediate(resolve))
      order.push(`stored ${level}`)
    }
  }
  await call(mcp, 'logging/setLevel', { level: 'error' }, session)
  order.push('answered')
  assert.deepEqual(order, ['stored error', 'answered'])
})

test('logging/setLevel with an unknown level is -32602 and does not reach the session', async () => {
  const mcp = server()
  const session = makeSession()
  for (const level of ['verbose', 'WARNING', 3]) {
    assert.equal((await fail(mcp, 'logging/setLevel', { level }, session)).code, -32602)
  }
  assert.deepEqual(session.levels, [])
})

test('ctx.log sends every level when the session has no level set', async () => {
  const mcp = loggingServer()
  const channel = makeChannel()
  resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'log' } }, makeSession(), channel))
  assert.deepEqual(channel.sent.map((message) => message.params!.level), LEVELS)
  for (const message of channel.sent) {
    assert.equal(message.method, 'notifications/message')
    assertSdk(SdkLoggingMessageNotificationSchema, message, 'notifications/message')
  }
})

test('ctx.log drops messages below the session\'s level', async () => {
  const expected: Record<LoggingLevel, LoggingLevel[]> = {
    debug: LEVELS,
    info: LEVELS.slice(1),
    notice: LEVELS.slice(2),
    warning: ['warning', 'error', 'critical', 'alert', 'emergency'],
    error: ['error', 'critical', 'alert', 'emergency'],
    critical: ['critical', 'alert', 'emergency'],
    alert: ['alert', 'emergency'],
    emergency: ['emergency']
  }
  const mcp = loggingServer()
  for (const threshold of LEVELS) {
    const channel = makeChannel()
    resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'log' } }, makeSession({ logLevel: threshold }), channel))
    assert.deepEqual(channel.sent.map((message) => message.params!.level), expected[threshold], `at ${threshold}`)
  }
})

test('logging/setLevel then ctx.log: the new level filters later requests of the session', async () => {
  const mcp = loggingServer()
  const session = makeSession()
  await call(mcp, 'logging/setLevel', { level: 'critical' }, session)
  const channel = makeChannel()
  resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'log' } }, session, channel))
  assert.deepEqual(channel.sent.map((message) => message.params!.level), ['critical', 'alert', 'emergency'])
})

test('ctx.log sends level, data and the logger when given', async () => {
  const mcp = server()
  mcp.tool({
    name: 'log',
    handler: async (_args, ctx) => {
      await ctx.log('error', { error: 'Connection failed', details: { host: 'localhost', port: 5432 } }, 'database')
      await ctx.log('info', 'plain text')
      return { content: [] }
    }
  })
  const channel = makeChannel()
  resultOf(await mcp.handleRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'log' } }, makeSession(), channel))
  assert.deepEqual(channel.sent, [
    {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'error', logger: 'database', data: { error: 'Connection failed', details: { host: 'localhost', port: 5432 } } }
    },
    { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'plain text' } }
  ])
  for (const message of channel.sent) assertSdk(SdkLoggingMessageNotificationSchema, message, 'notifications/message')
})
