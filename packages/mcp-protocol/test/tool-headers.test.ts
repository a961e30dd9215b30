// `headerParamsOf`: which tool parameters a 2026-07-28 client mirrors in `Mcp-Param-*` headers
// (tools.mdx "x-mcp-header"), and which annotations make a tool invalid, so that it is refused at
// registration instead of being dropped from `tools/list` by every client.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { headerParamsOf } from '../src/tool-headers.ts'

const object = (properties: Record<string, unknown>, more: Record<string, unknown> = {}): object =>
  ({ type: 'object', properties, ...more })
const region = { type: 'string', 'x-mcp-header': 'Region' }

/** The message of the definition error `schema` gives, after checking its code. */
function refusal (schema: object, toolName = 'tool'): string {
  let message = ''
  assert.throws(() => headerParamsOf(toolName, schema), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'FST_MCP_PROTOCOL_INVALID_DEFINITION')
    message = error.message
    return true
  })
  return message
}

test('a schema without annotations mirrors nothing', () => {
  assert.deepEqual(headerParamsOf('t', { type: 'object' }), [])
  assert.deepEqual(headerParamsOf('t', object({})), [])
  assert.deepEqual(headerParamsOf('t', object({ a: { type: 'string' }, b: { type: 'array', items: { type: 'number' } } }, { required: ['a'] })), [])
  assert.deepEqual(headerParamsOf('t', Type.Object({ a: Type.String(), b: Type.Optional(Type.Array(Type.Integer())) })), [])
})

test('annotated properties are found with their header, path from the arguments root and type', () => {
  const schema = object({
    region,
    priority: { type: 'integer', 'x-mcp-header': 'Priority' },
    verbose: { type: 'boolean', 'x-mcp-header': 'verbose' },
    query: { type: 'string' },
    nested: object({ deeper: object({ tenant: { type: 'string', 'x-mcp-header': 'Tenant-Id' } }) })
  })
  assert.deepEqual(headerParamsOf('t', schema), [
    { header: 'Region', path: ['region'], type: 'string' },
    { header: 'Priority', path: ['priority'], type: 'integer' },
    { header: 'verbose', path: ['verbose'], type: 'boolean' },
    { header: 'Tenant-Id', path: ['nested', 'deeper', 'tenant'], type: 'string' }
  ])
})

test('a TypeBox schema is read as JSON Schema (its symbol-keyed members are not)', () => {
  const schema = Type.Object({
    region: Type.String({ 'x-mcp-header': 'Region' }),
    nested: Type.Optional(Type.Object({ count: Type.Integer({ 'x-mcp-header': 'Count' }) })),
    flag: Type.Optional(Type.Boolean({ 'x-mcp-header': 'Flag' }))
  })
  assert.deepEqual(headerParamsOf('t', schema), [
    { header: 'Region', path: ['region'], type: 'string' },
    { header: 'Count', path: ['nested', 'count'], type: 'integer' },
    { header: 'Flag', path: ['flag'], type: 'boolean' }
  ])
  // An annotation only a symbol-keyed member holds is not JSON Schema: nothing to refuse.
  const hidden = { ...object({}), [Symbol('marker')]: { items: { type: 'string', 'x-mcp-header': 'X' } } }
  assert.deepEqual(headerParamsOf('t', hidden), [])
  assert.deepEqual(headerParamsOf('t', { ...object({ region }), [Symbol('marker')]: 'Object' }), [{ header: 'Region', path: ['region'], type: 'string' }])
})

test('only string, integer and boolean properties may be mirrored', () => {
  for (const type of ['number', 'object', 'array', 'null', ['string', 'null'], ['integer'], 'String', undefined]) {
    const message = refusal(object({ a: { type, 'x-mcp-header': 'A' } }))
    assert.match(message, /type "string", "integer" or "boolean"/, String(type))
  }
  refusal(Type.Object({ n: Type.Number({ 'x-mcp-header': 'N' }) }))
  refusal(Type.Object({ u: Type.Union([Type.String(), Type.Null()], { 'x-mcp-header': 'U' }) }))
  refusal(object({ a: { enum: ['x', 'y'], 'x-mcp-header': 'A' } }))
})

test('an annotation reached other than through a chain of "properties" makes the tool invalid', () => {
  const annotated = { type: 'string', 'x-mcp-header': 'Hidden' }
  const placements: Array<[string, object]> = [
    ['root', { type: 'object', 'x-mcp-header': 'Root', properties: {} }],
    ['items', object({ list: { type: 'array', items: annotated } })],
    ['items, then properties', object({ list: { type: 'array', items: object({ a: annotated }) } })],
    ['prefixItems', object({ list: { type: 'array', prefixItems: [{ type: 'string' }, annotated] } })],
    ['contains', object({ list: { type: 'array', contains: annotated } })],
    ['additionalProperties', { type: 'object', additionalProperties: annotated }],
    ['unevaluatedProperties', { type: 'object', unevaluatedProperties: annotated }],
    ['patternProperties', { type: 'object', patternProperties: { '^a': annotated } }],
    ['propertyNames', { type: 'object', propertyNames: annotated }],
    ['dependentSchemas', { type: 'object', dependentSchemas: { a: object({ b: annotated }) } }],
    ['oneOf', { type: 'object', oneOf: [object({ a: annotated })] }],
    ['anyOf', object({ a: { anyOf: [annotated, { type: 'null' }] } })],
    ['allOf', { type: 'object', allOf: [object({ a: annotated })] }],
    ['not', { type: 'object', not: object({ a: annotated }) }],
    ['if', { type: 'object', if: object({ a: annotated }) }],
    ['then', { type: 'object', then: object({ a: annotated }) }],
    ['else', { type: 'object', else: object({ a: annotated }) }],
    ['$defs', { type: 'object', $defs: { Region: annotated }, properties: { region: { $ref: '#/$defs/Region' } } }],
    ['definitions', { type: 'object', definitions: { Region: annotated } }],
    ['an unknown keyword', { type: 'object', 'x-vendor': { nested: annotated } }],
    ['a nested unknown keyword', object({ a: { type: 'object', 'x-vendor': [{ x: annotated }] } })],
    ['TypeBox Array', Type.Object({ list: Type.Array(Type.String({ 'x-mcp-header': 'Hidden' })) })],
    ['TypeBox Union', Type.Object({ a: Type.Union([Type.String({ 'x-mcp-header': 'Hidden' }), Type.Integer()]) })],
    ['TypeBox Record', Type.Object({ map: Type.Record(Type.String(), Type.String({ 'x-mcp-header': 'Hidden' })) })]
  ]
  for (const [where, schema] of placements) {
    assert.match(refusal(schema), /only a property reached from the root through "properties"/, where)
  }
})

test('the error names the tool and where the annotation sits', () => {
  const message = refusal(object({ list: { type: 'array', items: object({ 'a/b': { type: 'string', 'x-mcp-header': 'X' } }) } }), 'get_weather')
  assert.match(message, /tool "get_weather"/)
  assert.match(message, /inputSchema#\/properties\/list\/items\/properties\/a~1b:/)
  assert.match(refusal(object({ a: { type: 'number', 'x-mcp-header': 'A' } }), 'sum'), /tool "sum" at inputSchema#\/properties\/a: .*not "number"/)
})

test('an annotation value must be a non-empty RFC 9110 token', () => {
  const valid = ['A', 'x', 'Region', 'tenant-id', 'a.b', "!#$%&'*+-.^_`|~09AZaz"]
  for (const header of valid) {
    assert.deepEqual(headerParamsOf('t', object({ a: { type: 'string', 'x-mcp-header': header } })), [{ header, path: ['a'], type: 'string' }])
  }
  const invalid: Array<[unknown, RegExp]> = [
    ['', /must not be empty/],
    ['a b', /not an HTTP token/],
    ['a:b', /not an HTTP token/],
    ['a\r\nX-Injected: 1', /not an HTTP token/],
    ['a\tb', /not an HTTP token/],
    ['Région', /not an HTTP token/],
    ['a"b', /not an HTTP token/],
    ['(a)', /not an HTTP token/],
    ['a/b', /not an HTTP token/],
    [42, /must be a string, not number/],
    [null, /must be a string, not null/],
    [true, /must be a string, not boolean/],
    [['A'], /must be a string, not object/]
  ]
  for (const [header, reason] of invalid) {
    assert.match(refusal(object({ a: { type: 'string', 'x-mcp-header': header } })), reason, JSON.stringify(header))
  }
})

test('annotation values are unique case-insensitively within the schema', () => {
  assert.match(refusal(object({ a: region, b: { type: 'string', 'x-mcp-header': 'region' } })), /"region" repeats "Region"/)
  assert.match(refusal(object({ a: region, nested: object({ b: { type: 'integer', 'x-mcp-header': 'REGION' } }) })), /at inputSchema#\/properties\/nested\/properties\/b: "REGION" repeats "Region"/)
  // One schema object used for two properties declares the same header twice.
  const shared = Type.String({ 'x-mcp-header': 'Shared' })
  refusal(Type.Object({ a: shared, b: shared }))
  assert.equal(headerParamsOf('t', object({ a: region, b: { type: 'string', 'x-mcp-header': 'Region2' } })).length, 2)
})

test('instance data is not schema: an "x-mcp-header" member in const, enum, default or examples is no annotation', () => {
  const data = { 'x-mcp-header': 'NotAnAnnotation' }
  const schema = object({
    a: { type: 'object', default: data, examples: [data], const: data, enum: [data] }
  }, { default: { a: data } })
  assert.deepEqual(headerParamsOf('t', schema), [])
})

test('a property named "x-mcp-header" is a name, not an annotation', () => {
  assert.deepEqual(headerParamsOf('t', object({ 'x-mcp-header': { type: 'string' } })), [])
  assert.deepEqual(headerParamsOf('t', object({ 'x-mcp-header': { type: 'string', 'x-mcp-header': 'Odd' } })), [
    { header: 'Odd', path: ['x-mcp-header'], type: 'string' }
  ])
  assert.deepEqual(headerParamsOf('t', { type: 'object', $defs: { 'x-mcp-header': { type: 'string' } } }), [])
})

test('a schema that contains itself is refused with a definition error, not a stack overflow', () => {
  const node: Record<string, unknown> = { type: 'object', properties: {} }
  ;(node.properties as Record<string, unknown>).self = node
  assert.match(refusal(node), /contains itself/)
})
