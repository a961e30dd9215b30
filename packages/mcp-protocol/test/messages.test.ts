import { test } from 'node:test'
import assert from 'node:assert/strict'
import { JSONRPCMessageSchema as SdkJSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js'
import { readMessage, type InboundMessage } from '../src/index.ts'

function invalid (message: InboundMessage): { id: unknown, reason: string } {
  assert.equal(message.kind, 'invalid', `expected invalid, got ${JSON.stringify(message)}`)
  return message as { kind: 'invalid', id: unknown, reason: string }
}

test('a request', () => {
  const frame = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 'x' } }
  const read = readMessage(frame)
  assert.deepEqual(read, { kind: 'request', message: frame })
  assert.equal(read.kind === 'request' && read.message, frame, 'the frame itself, not a copy')
  assert.equal(readMessage({ jsonrpc: '2.0', id: 'abc', method: 'ping' }).kind, 'request')
  assert.equal(readMessage({ jsonrpc: '2.0', id: 0, method: 'ping' }).kind, 'request')
  assert.equal(readMessage({ jsonrpc: '2.0', id: -5, method: 'ping' }).kind, 'request')
})

test('a notification', () => {
  const frame = { jsonrpc: '2.0', method: 'notifications/initialized' }
  assert.deepEqual(readMessage(frame), { kind: 'notification', message: frame })
  const cancelled = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'x' } }
  assert.deepEqual(readMessage(cancelled), { kind: 'notification', message: cancelled })
})

test('a result response', () => {
  const frame = { jsonrpc: '2.0', id: 'srv-1', result: { roots: [] } }
  assert.deepEqual(readMessage(frame), { kind: 'response', message: frame })
  assert.equal(readMessage({ jsonrpc: '2.0', id: 4, result: {} }).kind, 'response')
})

test('an error response, with or without an id', () => {
  const frame = { jsonrpc: '2.0', id: 'srv-2', error: { code: -1, message: 'User rejected', data: { a: 1 } } }
  assert.deepEqual(readMessage(frame), { kind: 'response', message: frame })
  const anonymous = { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' } }
  assert.deepEqual(readMessage(anonymous), { kind: 'response', message: anonymous })
})

test('a request with id null is invalid, with no readable id', () => {
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: null, method: 'ping' })).id, undefined)
})

test('an extra top-level member makes any frame invalid, keeping the readable id', () => {
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 7, method: 'ping', extra: true })).id, 7)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', method: 'notifications/initialized', extra: true })).id, undefined)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 'r', result: {}, extra: true })).id, 'r')
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 8, error: { code: 1, message: 'x' }, extra: true })).id, 8)
})

test('a wrong or missing jsonrpc version is invalid, keeping the readable id', () => {
  const wrong = invalid(readMessage({ jsonrpc: '1.0', id: 3, method: 'ping' }))
  assert.equal(wrong.id, 3)
  assert.match(wrong.reason, /\/jsonrpc/)
  assert.equal(invalid(readMessage({ id: 'x', method: 'ping' })).id, 'x')
  assert.equal(invalid(readMessage({ jsonrpc: 2, method: 'notifications/initialized' })).id, undefined)
  assert.equal(invalid(readMessage({ jsonrpc: '2.1', id: 4, result: {} })).id, 4)
})

test('an array (a batch) is invalid', () => {
  const batch = invalid(readMessage([{ jsonrpc: '2.0', id: 1, method: 'ping' }]))
  assert.equal(batch.id, undefined)
  assert.ok(batch.reason.length > 0)
  assert.equal(invalid(readMessage([])).id, undefined)
})

test('a value that is not an object is invalid', () => {
  for (const value of [null, undefined, 'ping', 42, true, 0]) {
    const read = invalid(readMessage(value))
    assert.equal(read.id, undefined, JSON.stringify(value))
    assert.ok(read.reason.length > 0)
  }
})

test('ids that are neither strings nor integers are invalid and not echoed', () => {
  for (const id of [1.5, true, { a: 1 }, [1], Number.NaN]) {
    assert.equal(invalid(readMessage({ jsonrpc: '2.0', id, method: 'ping' })).id, undefined, String(id))
  }
})

test('other malformed frames are invalid, and the reason names the failing member', () => {
  const nonStringMethod = invalid(readMessage({ jsonrpc: '2.0', id: 9, method: 42 }))
  assert.equal(nonStringMethod.id, 9)
  assert.match(nonStringMethod.reason, /\/method/)

  const arrayParams = invalid(readMessage({ jsonrpc: '2.0', id: 10, method: 'ping', params: [1, 2] }))
  assert.equal(arrayParams.id, 10)
  assert.match(arrayParams.reason, /\/params/)

  assert.equal(invalid(readMessage({ jsonrpc: '2.0', method: 'x', params: 'p' })).id, undefined)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 11, result: 'ok' })).id, 11)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 12, error: { message: 'no code' } })).id, 12)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 13, error: { code: 1.5, message: 'x' } })).id, 13)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 14, result: {}, error: { code: 1, message: 'x' } })).id, 14)
  assert.equal(invalid(readMessage({ jsonrpc: '2.0', id: 15 })).id, 15)
  assert.equal(invalid(readMessage({})).id, undefined)
})

test('readMessage agrees with the SDK\'s JSONRPCMessageSchema on every frame', () => {
  const frames: unknown[] = [
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x', arguments: {} } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 2 } },
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', id: 'x', result: { content: [] } },
    { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'nope' } },
    { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'nope', data: null } },
    { jsonrpc: '2.0', id: null, method: 'ping' },
    { jsonrpc: '2.0', id: 1.5, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 'ping', extra: 1 },
    { jsonrpc: '2.0', method: 'n', extra: 1 },
    { jsonrpc: '2.0', id: 1, result: {}, extra: 1 },
    { jsonrpc: '1.0', id: 1, method: 'ping' },
    { id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 7 },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: [] },
    { jsonrpc: '2.0', id: 1, result: 'x' },
    { jsonrpc: '2.0', id: 1, error: { message: 'x' } },
    { jsonrpc: '2.0', id: 1 },
    [],
    'x',
    null
  ]
  for (const frame of frames) {
    const ours = readMessage(frame).kind !== 'invalid'
    const sdk = SdkJSONRPCMessageSchema.safeParse(frame).success
    assert.equal(ours, sdk, `${JSON.stringify(frame)}: ours ${ours}, SDK ${sdk}`)
  }
})
