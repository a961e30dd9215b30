// Properties of the frame validator, `readMessage`, over generated frames: it never throws on
// parsed JSON, sorts valid frames by kind, and for anything else gives a reason and the request id
// exactly when the id is readable. The oracle is JSON-RPC 2.0's envelope written out in plain code.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { readMessage } from '../src/index.ts'

const RUNS = { numRuns: 500 }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isId = (value: unknown): value is string | number =>
  typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))

/** What JSON-RPC 2.0 (as MCP uses it: no batches, strict envelopes) makes of a parsed value. */
function expectedKind (frame: unknown): 'request' | 'notification' | 'response' | 'invalid' {
  if (!isObject(frame)) return 'invalid'
  const only = (...members: string[]): boolean => Object.keys(frame).every((key) => members.includes(key))
  const params = !('params' in frame) || isObject(frame.params)
  if (frame.jsonrpc !== '2.0') return 'invalid'
  if ('method' in frame) {
    if (typeof frame.method !== 'string' || !params) return 'invalid'
    if ('id' in frame) return only('jsonrpc', 'id', 'method', 'params') && isId(frame.id) ? 'request' : 'invalid'
    return only('jsonrpc', 'method', 'params') ? 'notification' : 'invalid'
  }
  if ('error' in frame) {
    const error = frame.error
    const valid = only('jsonrpc', 'id', 'error') && (!('id' in frame) || isId(frame.id)) &&
      isObject(error) && typeof error.code === 'number' && Number.isInteger(error.code) && typeof error.message === 'string'
    return valid ? 'response' : 'invalid'
  }
  return only('jsonrpc', 'id', 'result') && isId(frame.id) && isObject(frame.result) ? 'response' : 'invalid'
}

/** What a frame really is on arrival: text parsed by JSON.parse (own `__proto__` keys and all). */
const parsed = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  arbitrary.map((value) => JSON.parse(JSON.stringify(value)) as unknown)

const id = fc.oneof(fc.string(), fc.integer(), fc.maxSafeInteger(), fc.constant(0))
const object = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
const method = fc.oneof(fc.constantFrom('initialize', 'tools/call', 'notifications/cancelled', ''), fc.string())

const request = fc.record({ jsonrpc: fc.constant('2.0'), id, method, params: object }, { requiredKeys: ['jsonrpc', 'id', 'method'] })
const notification = fc.record({ jsonrpc: fc.constant('2.0'), method, params: object }, { requiredKeys: ['jsonrpc', 'method'] })
const errorObject = fc.record({ code: fc.integer(), message: fc.string(), data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['code', 'message'] })
const resultResponse = fc.record({ jsonrpc: fc.constant('2.0'), id, result: object })
const errorResponse = fc.record({ jsonrpc: fc.constant('2.0'), id, error: errorObject }, { requiredKeys: ['jsonrpc', 'error'] })

/**
 * Frames near the envelope: a valid frame of any kind with up to two members removed or set to a
 * value clients get wrong (a number for a string, null or a fraction for an id, an array for
 * params), or a stray member added; about a third of them are left valid.
 */
const anyValue = fc.jsonValue({ maxDepth: 2 })
const wrongValue = fc.oneof(
  fc.constantFrom<unknown>('1.0', '2.0 ', 2, null, true, 1.5, -0.5, 1e21, Number.MAX_SAFE_INTEGER + 2, [], [1], {}, ''),
  id, object, errorObject, anyValue)
const member = fc.constantFrom('jsonrpc', 'id', 'method', 'params', 'result', 'error')
const mutation = fc.oneof(
  fc.record({ remove: member }),
  fc.record({ set: fc.oneof(member, fc.constantFrom('extra', '__proto__', 'constructor', 'ID', 'Method'), fc.string()), to: wrongValue }))
const nearFrame = fc.tuple(fc.oneof(request, notification, resultResponse, errorResponse), fc.array(mutation, { maxLength: 2 }))
  .map(([frame, mutations]) => {
    const copy: Record<string, unknown> = { ...frame }
    for (const change of mutations) {
      if ('remove' in change) delete copy[change.remove]
      else Object.defineProperty(copy, change.set, { value: change.to, enumerable: true, writable: true, configurable: true })
    }
    return copy
  })

function check (frame: unknown): void {
  const read = readMessage(frame)
  const kind = expectedKind(frame)
  assert.equal(read.kind, kind, `${JSON.stringify(frame)} read as ${JSON.stringify(read)}`)
  if (read.kind === 'invalid') {
    assert.equal(typeof read.reason, 'string')
    assert.ok(read.reason.length > 0)
    // The id comes back when the frame has one a response can carry, never otherwise.
    const readable = isObject(frame) && 'id' in frame && isId(frame.id) ? frame.id : undefined
    assert.equal(read.id, readable, `id of ${JSON.stringify(frame)}`)
  } else {
    assert.equal(read.message, frame, 'the frame itself, not a copy')
  }
}

test('any JSON value: readMessage never throws and agrees with the JSON-RPC envelope', () => {
  fc.assert(fc.property(parsed(fc.jsonValue({ maxDepth: 4 })), check), RUNS)
})

test('valid requests, notifications and responses are sorted by kind', () => {
  fc.assert(fc.property(parsed(request), (frame) => assert.equal(readMessage(frame).kind, 'request')), RUNS)
  fc.assert(fc.property(parsed(notification), (frame) => assert.equal(readMessage(frame).kind, 'notification')), RUNS)
  fc.assert(fc.property(parsed(fc.oneof(resultResponse, errorResponse)), (frame) => assert.equal(readMessage(frame).kind, 'response')), RUNS)
})

test('frames near the envelope: invalid ones give a reason, and the id only when it is readable', () => {
  fc.assert(fc.property(parsed(nearFrame), check), { numRuns: 2000 })
})

test('one wrong member makes a valid frame invalid, keeping a readable id', () => {
  const breakages = fc.constantFrom<Array<[string, unknown]>>(
    [['jsonrpc', '1.0']], [['jsonrpc', 2]], [['params', []]], [['params', 'x']], [['method', 7]], [['extra', true]], [['result', 'ok']]
  )
  fc.assert(fc.property(parsed(request), breakages, (frame, breakage) => {
    const broken = { ...(frame as Record<string, unknown>), ...Object.fromEntries(breakage) }
    const read = readMessage(broken)
    assert.equal(read.kind, 'invalid', JSON.stringify(broken))
    assert.equal(read.kind === 'invalid' && read.id, (frame as { id: unknown }).id)
  }), RUNS)
})
