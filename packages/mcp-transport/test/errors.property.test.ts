// Properties of the JSON-RPC error mapping, `toJsonRpcError`, over generated errors: whatever ends
// a request on the MCP endpoint (Fastify's own errors, ours, a plugin's, a library's with odd
// codes and statuses) becomes a JSON-RPC error response Fastify can send, and a server failure
// tells the client nothing of what failed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { compile, ErrorCode, JSONRPCErrorResponseSchema } from '@mcp-fastify/mcp-protocol'
import { toJsonRpcError, type McpHttpError } from '../src/errors.ts'

const errorResponse = compile(JSONRPCErrorResponseSchema)

const KNOWN_CODES = [
  'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_BODY_TOO_LARGE',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_VALIDATION',
  'FST_MCP_TRANSPORT_INVALID_MESSAGE', 'FST_MCP_TRANSPORT_SESSION_NOT_FOUND', 'FST_MCP_TRANSPORT_FORBIDDEN',
  'FST_MCP_SESSION_LIMIT', 'ECONNREFUSED', 'ERR_HTTP_HEADERS_SENT'
]
// Codes that name members every object inherits: a lookup table must not answer for them.
const INHERITED_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']

const MARK = 'leak-\u2603-'
const thrown = fc.record({
  // A unique mark in every message, so a leak is found wherever it lands in the body.
  message: fc.string().map((text) => MARK + text),
  code: fc.option(fc.oneof(fc.constantFrom(...KNOWN_CODES), fc.constantFrom(...INHERITED_NAMES), fc.string()), { nil: undefined }),
  statusCode: fc.option(fc.oneof(
    fc.integer({ min: 400, max: 599 }),
    fc.constantFrom(400, 404, 413, 415, 429, 500, 502, 503, 504),
    fc.integer({ min: -1000, max: 2000 }),
    fc.constantFrom(0, 200, 302, 399, 600, 999, 1000, 450.5, Number.NaN, Infinity, -Infinity)
  ), { nil: undefined }),
  requestId: fc.option(fc.oneof(fc.string(), fc.integer(), fc.maxSafeInteger()), { nil: undefined })
}).map(({ message, code, statusCode, requestId }) => {
  const error = new Error(message) as McpHttpError
  if (code !== undefined) Object.defineProperty(error, 'code', { value: code, enumerable: true })
  if (statusCode !== undefined) error.statusCode = statusCode
  if (requestId !== undefined) error.requestId = requestId
  Object.defineProperty(error, fc.toStringMethod, { value: () => `error ${JSON.stringify({ message, code, statusCode: String(statusCode), requestId })}` })
  return error
})

test('any error becomes a valid JSON-RPC error response with an HTTP error status', () => {
  fc.assert(fc.property(thrown, (error) => {
    const { status, body } = toJsonRpcError(error)
    // What goes on the wire is the serialized body: check that, not the object.
    const wire: unknown = JSON.parse(JSON.stringify(body))
    assert.ok(errorResponse.check(wire), `${errorResponse.explain(wire)} in ${JSON.stringify(wire)}`)
    assert.deepEqual(wire, body, 'the body survives serialization unchanged')
    // Fastify's reply.code() throws outside 100-599, and then the client gets Fastify's envelope.
    assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `status ${status}`)
  }), { numRuns: 2000 })
})

test('the status is the error\'s own when it is an HTTP error status, 500 otherwise', () => {
  fc.assert(fc.property(thrown, (error) => {
    const own = error.statusCode
    const expected = typeof own === 'number' && Number.isInteger(own) && own >= 400 && own <= 599 ? own : 500
    assert.equal(toJsonRpcError(error).status, expected)
  }), { numRuns: 1000 })
})

test('a server failure (5xx but 503) says "Internal error" and nothing of the error', () => {
  fc.assert(fc.property(thrown, (error) => {
    const { status, body } = toJsonRpcError(error)
    if (status < 500 || status === 503) return
    assert.deepEqual(Object.keys(body.error), ['code', 'message'], 'no data')
    assert.equal(body.error.message, 'Internal error')
    assert.ok(!JSON.stringify(body).includes(MARK))
  }), { numRuns: 1000 })
})

test('a refusal (4xx, 503) keeps a message for the client', () => {
  fc.assert(fc.property(thrown, (error) => {
    const { status, body } = toJsonRpcError(error)
    if (status >= 500 && status !== 503) return
    assert.equal(typeof body.error.message, 'string')
    assert.ok(body.error.message.length > 0 || error.message === '')
    assert.notEqual(body.error.code, ErrorCode.InternalError)
  }), { numRuns: 1000 })
})

test('the request id is echoed when the error carries one, and only then', () => {
  fc.assert(fc.property(thrown, (error) => {
    const { body } = toJsonRpcError(error)
    if (error.requestId === undefined) assert.ok(!('id' in body))
    else assert.equal(body.id, error.requestId)
  }), { numRuns: 1000 })
})
