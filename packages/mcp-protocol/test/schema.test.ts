import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kind, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import * as schema from '../src/schema/index.ts'
import {
  CallToolResultSchema,
  ClientCapabilitiesSchema,
  CreateMessageRequestParamsSchema,
  CreateMessageResultSchema,
  ElicitRequestFormParamsSchema,
  ElicitRequestParamsSchema,
  ElicitRequestURLParamsSchema,
  ElicitResultSchema,
  EnumSchemaSchema,
  ImplementationSchema,
  JSONRPCErrorResponseSchema,
  JSONRPCMessageSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResponseSchema,
  JSONRPCResultResponseSchema,
  LegacyTitledEnumSchemaSchema,
  LoggingMessageNotificationParamsSchema,
  PrimitiveSchemaDefinitionSchema,
  TitledMultiSelectEnumSchemaSchema,
  TitledSingleSelectEnumSchemaSchema,
  UntitledMultiSelectEnumSchemaSchema,
  UntitledSingleSelectEnumSchemaSchema,
  URLElicitationRequiredErrorSchema,
  clientNotificationParams,
  clientRequestParams,
  serverRequestResults,
  serverResults
} from '../src/schema/index.ts'

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

function valid (s: TSchema, value: unknown): boolean {
  let check = compiled.get(s)
  if (check === undefined) {
    check = TypeCompiler.Compile(s)
    compiled.set(s, check)
  }
  return check.Check(value)
}

function accepts (s: TSchema, value: unknown, what: string): void {
  assert.equal(valid(s, value), true, `expected ${what} to be accepted`)
}

function rejects (s: TSchema, value: unknown, what: string): void {
  assert.equal(valid(s, value), false, `expected ${what} to be rejected`)
}

/** Checks a request frame against the envelope and the params schema of its method. */
function acceptsClientRequest (frame: { method: keyof typeof clientRequestParams, params?: unknown }, what: string): void {
  accepts(JSONRPCRequestSchema, frame, `${what} (request envelope)`)
  accepts(JSONRPCMessageSchema, frame, `${what} (message)`)
  accepts(clientRequestParams[frame.method], frame.params, `${what} (params)`)
}

const initialize20250326 = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-03-26',
    capabilities: { roots: { listChanged: true }, sampling: {} },
    clientInfo: { name: 'old-client', version: '1.0.0' }
  }
} as const

const initialize20251125 = {
  jsonrpc: '2.0',
  id: 'init-1',
  method: 'initialize',
  params: {
    _meta: { progressToken: 'p0' },
    protocolVersion: '2025-11-25',
    capabilities: {
      roots: { listChanged: true },
      sampling: { context: {}, tools: {} },
      elicitation: { form: {}, url: {} },
      // The experimental tasks capability is not modelled but must pass.
      tasks: { list: {}, cancel: {}, requests: { sampling: { createMessage: {} } } },
      experimental: { 'example.com/feature': { level: 2 } }
    },
    clientInfo: {
      name: 'new-client',
      title: 'New Client',
      version: '2.3.1',
      description: 'A client speaking the newest revision',
      websiteUrl: 'https://client.example.com',
      icons: [{ src: 'https://client.example.com/icon.png', mimeType: 'image/png', sizes: ['48x48'], theme: 'dark' }]
    }
  }
} as const

test('initialize from a 2025-03-26 client is valid', () => {
  acceptsClientRequest(initialize20250326, '2025-03-26 initialize')
  rejects(clientRequestParams.initialize, { ...initialize20250326.params, clientInfo: { name: 'old-client' } }, 'clientInfo without version')
  rejects(clientRequestParams.initialize, { ...initialize20250326.params, protocolVersion: 20250326 }, 'a numeric protocolVersion')
})

test('initialize from a 2025-11-25 client is valid', () => {
  acceptsClientRequest(initialize20251125, '2025-11-25 initialize')
  const { params } = initialize20251125
  rejects(ImplementationSchema, { ...params.clientInfo, icons: [{ mimeType: 'image/png' }] }, 'an icon without src')
  rejects(ImplementationSchema, { ...params.clientInfo, icons: [{ src: 'x', theme: 'sepia' }] }, 'an icon with an unknown theme')
  rejects(ClientCapabilitiesSchema, { ...params.capabilities, elicitation: { form: true } }, 'a capability flag that is not an object')
  rejects(ClientCapabilitiesSchema, { roots: { listChanged: 'yes' } }, 'roots.listChanged that is not a boolean')
})

test('the initialize result and other server results are valid', () => {
  const initializeResult = {
    protocolVersion: '2025-11-25',
    capabilities: {
      logging: {},
      completions: {},
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      tools: { listChanged: false }
    },
    serverInfo: { name: 'server', version: '0.1.0' },
    instructions: 'Use the tools.'
  }
  accepts(serverResults.initialize, initializeResult, 'an initialize result')
  accepts(JSONRPCResultResponseSchema, { jsonrpc: '2.0', id: 0, result: initializeResult }, 'its frame')
  rejects(serverResults.initialize, { ...initializeResult, serverInfo: undefined }, 'an initialize result without serverInfo')

  const tools = {
    tools: [{
      name: 'add',
      title: 'Add',
      description: 'Adds two numbers',
      inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      outputSchema: { type: 'object', properties: { sum: { type: 'number' } } },
      annotations: { readOnlyHint: true, openWorldHint: false },
      execution: { taskSupport: 'optional' }
    }],
    nextCursor: 'page-2'
  }
  accepts(serverResults['tools/list'], tools, 'a tools/list result')
  rejects(serverResults['tools/list'], { tools: [{ ...tools.tools[0], inputSchema: { type: 'array' } }] }, 'a tool whose inputSchema is not an object schema')

  accepts(serverResults['tools/call'], {
    content: [
      { type: 'text', text: '3', annotations: { audience: ['user'], priority: 0.5, lastModified: '2025-01-12T15:00:58Z' } },
      { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
      { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt', size: 12 },
      { type: 'resource', resource: { uri: 'file:///b.bin', blob: 'AAEC', mimeType: 'application/octet-stream' } }
    ],
    structuredContent: { sum: 3 },
    isError: false
  }, 'a tools/call result with every content block')
  rejects(CallToolResultSchema, { content: [{ type: 'text', text: 'x', annotations: { priority: 2 } }] }, 'a priority above 1')
  rejects(CallToolResultSchema, { content: [{ type: 'video', data: '' }] }, 'an unknown content type')
  rejects(CallToolResultSchema, { isError: true }, 'a tools/call result without content')

  accepts(serverResults['resources/read'], { contents: [{ uri: 'file:///a.txt', text: 'hello' }] }, 'a resources/read result')
  rejects(serverResults['resources/read'], { contents: [{ uri: 'file:///a.txt' }] }, 'contents with neither text nor blob')
  accepts(serverResults['prompts/get'], { messages: [{ role: 'user', content: { type: 'text', text: 'Hi' } }] }, 'a prompts/get result')
  rejects(serverResults['prompts/get'], { messages: [{ role: 'system', content: { type: 'text', text: 'Hi' } }] }, 'a prompt message with role system')
  accepts(serverResults['completion/complete'], { completion: { values: ['a', 'b'], total: 2, hasMore: false } }, 'a completion result')
  rejects(serverResults['completion/complete'], { completion: { values: Array.from({ length: 101 }, String) } }, 'more than 100 completion values')
  rejects(serverResults['completion/complete'], { completion: { values: [], total: 1.5 } }, 'a fractional completion total')
  accepts(serverResults['logging/setLevel'], {}, 'an empty result')
  rejects(serverResults.ping, [], 'an array as result')
})

test('tools/call with _meta.progressToken is valid', () => {
  const frame = {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'add', arguments: { a: 1, b: 2 }, _meta: { progressToken: 'tok-7', 'example.com/trace': 'abc' } }
  } as const
  acceptsClientRequest(frame, 'tools/call')
  accepts(clientRequestParams['tools/call'], { ...frame.params, _meta: { progressToken: 42 } }, 'an integer progress token')
  rejects(clientRequestParams['tools/call'], { ...frame.params, _meta: { progressToken: 1.5 } }, 'a fractional progress token')
  rejects(clientRequestParams['tools/call'], { ...frame.params, _meta: { progressToken: null } }, 'a null progress token')
  rejects(clientRequestParams['tools/call'], { ...frame.params, arguments: ['a'] }, 'arguments that are an array')
})

test('a sampling result is valid', () => {
  const result = {
    role: 'assistant',
    content: { type: 'text', text: 'The answer is 4.' },
    model: 'claude-3-5-sonnet-20241022',
    stopReason: 'endTurn'
  }
  accepts(serverRequestResults['sampling/createMessage'], result, 'a single-block sampling result')
  accepts(JSONRPCResponseSchema, { jsonrpc: '2.0', id: 's-1', result }, 'its response frame')
  accepts(CreateMessageResultSchema, {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call-1', name: 'weather', input: { city: 'Paris' } }
    ],
    model: 'some-model',
    stopReason: 'toolUse'
  }, 'a 2025-11-25 sampling result with a tool use')
  rejects(CreateMessageResultSchema, { ...result, model: undefined }, 'a sampling result without model')
  rejects(CreateMessageResultSchema, { ...result, content: { type: 'resource_link', uri: 'file:///a', name: 'a' } }, 'a resource link in sampling content')
  rejects(CreateMessageResultSchema, { ...result, content: [{ type: 'tool_use', id: 'c', name: 'n' }] }, 'a tool use without input')

  const params = {
    messages: [
      { role: 'user', content: { type: 'text', text: 'What is 2 + 2?' } },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call-1', content: [{ type: 'text', text: '4' }] }] }
    ],
    modelPreferences: { hints: [{ name: 'claude' }], speedPriority: 0.2 },
    includeContext: 'none',
    maxTokens: 100,
    tools: [{ name: 'weather', inputSchema: { type: 'object' } }],
    toolChoice: { mode: 'auto' }
  }
  accepts(CreateMessageRequestParamsSchema, params, 'sampling/createMessage params')
  rejects(CreateMessageRequestParamsSchema, { ...params, maxTokens: 10.5 }, 'a fractional maxTokens')
  rejects(CreateMessageRequestParamsSchema, { ...params, includeContext: 'everything' }, 'an unknown includeContext')
})

test('an elicitation result with action accept and content is valid', () => {
  const result = { action: 'accept', content: { name: 'Ada', age: 36, subscribe: true, colors: ['red', 'blue'] } }
  accepts(serverRequestResults['elicitation/create'], result, 'an accepted elicitation')
  accepts(JSONRPCMessageSchema, { jsonrpc: '2.0', id: 3, result }, 'its frame')
  accepts(ElicitResultSchema, { action: 'decline' }, 'a declined elicitation')
  rejects(ElicitResultSchema, { action: 'accepted', content: {} }, 'an unknown action')
  rejects(ElicitResultSchema, { action: 'accept', content: { address: { city: 'London' } } }, 'a nested object in content')
  rejects(ElicitResultSchema, { action: 'accept', content: { ids: [1, 2] } }, 'an array of numbers in content')
})

test('each 2025-11-25 elicitation enum form is valid', () => {
  const forms = [
    [UntitledSingleSelectEnumSchemaSchema, { type: 'string', title: 'Color', enum: ['red', 'green'], default: 'red' }],
    [TitledSingleSelectEnumSchemaSchema, { type: 'string', oneOf: [{ const: '#f00', title: 'Red' }, { const: '#0f0', title: 'Green' }] }],
    [UntitledMultiSelectEnumSchemaSchema, { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', enum: ['a', 'b', 'c'] }, default: ['a'] }],
    [TitledMultiSelectEnumSchemaSchema, { type: 'array', items: { anyOf: [{ const: 'a', title: 'Apple' }, { const: 'b', title: 'Banana' }] } }],
    [LegacyTitledEnumSchemaSchema, { type: 'string', enum: ['s', 'm'], enumNames: ['Small', 'Medium'] }]
  ] as const
  const properties: Record<string, unknown> = {}
  for (const [formSchema, definition] of forms) {
    accepts(formSchema, definition, `the form ${JSON.stringify(definition)}`)
    accepts(EnumSchemaSchema, definition, 'it as an EnumSchema')
    accepts(PrimitiveSchemaDefinitionSchema, definition, 'it as a PrimitiveSchemaDefinition')
    properties[`field${Object.keys(properties).length}`] = definition
  }
  const params = {
    mode: 'form',
    message: 'Choose',
    requestedSchema: {
      type: 'object',
      properties: { ...properties, email: { type: 'string', format: 'email' }, n: { type: 'integer', minimum: 1, default: 2 } },
      required: ['field0']
    }
  }
  accepts(ElicitRequestParamsSchema, params, 'an elicitation/create form request with every enum form')

  rejects(TitledSingleSelectEnumSchemaSchema, { type: 'string', oneOf: [{ const: '#f00' }] }, 'a titled option without title')
  rejects(UntitledMultiSelectEnumSchemaSchema, { type: 'array', items: { type: 'number', enum: [1] } }, 'a multi-select of numbers')
  rejects(TitledMultiSelectEnumSchemaSchema, { type: 'array', items: { anyOf: [{ const: 1, title: 'One' }] } }, 'a titled multi-select with a numeric value')
  rejects(UntitledMultiSelectEnumSchemaSchema, { type: 'array', items: { type: 'string', enum: ['a'] }, minItems: 0.5 }, 'a fractional minItems')
  rejects(LegacyTitledEnumSchemaSchema, { type: 'string', enum: ['s'], enumNames: 'Small' }, 'enumNames that is not an array')
  rejects(PrimitiveSchemaDefinitionSchema, { type: 'object', properties: {} }, 'a nested object field')
  rejects(ElicitRequestFormParamsSchema, { ...params, requestedSchema: { ...params.requestedSchema, type: 'array' } }, 'a requestedSchema that is not an object schema')
})

test('URL-mode elicitation (2025-11-25) is valid', () => {
  const params = { mode: 'url', message: 'Sign in', elicitationId: 'el-1', url: 'https://example.com/auth' }
  accepts(ElicitRequestURLParamsSchema, params, 'URL-mode params')
  accepts(ElicitRequestParamsSchema, params, 'URL-mode params as ElicitRequestParams')
  accepts(ElicitResultSchema, { action: 'accept' }, 'an accepted URL elicitation without content')
  rejects(ElicitRequestParamsSchema, { ...params, elicitationId: undefined }, 'URL-mode params without elicitationId')
  rejects(ElicitRequestParamsSchema, { ...params, mode: 'browser' }, 'an unknown mode')
  const error = { jsonrpc: '2.0', id: 9, error: { code: -32042, message: 'Sign-in needed', data: { elicitations: [params] } } }
  accepts(URLElicitationRequiredErrorSchema, error, 'a URL elicitation required error')
  accepts(JSONRPCErrorResponseSchema, error, 'it as an error response')
  rejects(URLElicitationRequiredErrorSchema, { ...error, error: { ...error.error, code: -32600 } }, 'another error code')
})

test('notifications and their params are valid', () => {
  const frames = [
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'User gave up' } },
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok-7', progress: 0.5, total: 1, message: 'Half' } },
    { jsonrpc: '2.0', method: 'notifications/roots/list_changed', params: { _meta: {} } }
  ] as const
  for (const frame of frames) {
    accepts(JSONRPCNotificationSchema, frame, frame.method)
    accepts(JSONRPCMessageSchema, frame, `${frame.method} as a message`)
    accepts(clientNotificationParams[frame.method], 'params' in frame ? frame.params : undefined, `${frame.method} params`)
  }
  // 2025-11-25 made requestId optional.
  accepts(clientNotificationParams['notifications/cancelled'], {}, 'a cancellation without requestId')
  rejects(clientNotificationParams['notifications/cancelled'], { requestId: null }, 'a null requestId')
  rejects(clientNotificationParams['notifications/progress'], { progressToken: 'tok', progress: '50%' }, 'a string progress')
  rejects(clientNotificationParams['notifications/progress'], { progress: 1 }, 'progress without a token')
  rejects(clientNotificationParams['notifications/initialized'], 'ready', 'string params')

  accepts(LoggingMessageNotificationParamsSchema, { level: 'warning', logger: 'db', data: { rows: 3 } }, 'a log message')
  accepts(LoggingMessageNotificationParamsSchema, { level: 'debug', data: null }, 'a log message with null data')
  rejects(LoggingMessageNotificationParamsSchema, { level: 'warning' }, 'a log message without data')
  accepts(schema.ResourceUpdatedNotificationParamsSchema, { uri: 'file:///a.txt' }, 'resources/updated params')
  accepts(schema.ElicitationCompleteNotificationParamsSchema, { elicitationId: 'el-1' }, 'elicitation/complete params')
  rejects(schema.ElicitationCompleteNotificationParamsSchema, {}, 'elicitation/complete params without id')
})

test('other client requests are valid', () => {
  acceptsClientRequest({ jsonrpc: '2.0', id: 1, method: 'ping' } as never, 'ping without params')
  acceptsClientRequest({ jsonrpc: '2.0', id: 2, method: 'tools/list' } as never, 'tools/list without params')
  acceptsClientRequest({ jsonrpc: '2.0', id: 3, method: 'resources/list', params: { cursor: 'c2' } } as never, 'resources/list with a cursor')
  acceptsClientRequest({ jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'file:///a.txt' } } as never, 'resources/read')
  acceptsClientRequest({ jsonrpc: '2.0', id: 5, method: 'prompts/get', params: { name: 'p', arguments: { x: '1' } } } as never, 'prompts/get')
  acceptsClientRequest({
    jsonrpc: '2.0',
    id: 6,
    method: 'completion/complete',
    params: { ref: { type: 'ref/resource', uri: 'file:///{path}' }, argument: { name: 'path', value: 'sr' }, context: { arguments: { a: 'b' } } }
  } as never, 'completion/complete')
  acceptsClientRequest({ jsonrpc: '2.0', id: 7, method: 'logging/setLevel', params: { level: 'emergency' } } as never, 'logging/setLevel')
  rejects(clientRequestParams['tools/list'], { cursor: 3 }, 'a numeric cursor')
  rejects(clientRequestParams['prompts/get'], { name: 'p', arguments: { x: 1 } }, 'a non-string prompt argument')
  rejects(clientRequestParams['completion/complete'], { ref: { type: 'ref/tool', name: 't' }, argument: { name: 'a', value: '' } }, 'an unknown completion ref')
})

test('a server request result for roots/list and ping is valid', () => {
  accepts(serverRequestResults['roots/list'], { roots: [{ uri: 'file:///home/user/project', name: 'project' }] }, 'a roots/list result')
  rejects(serverRequestResults['roots/list'], { roots: [{ name: 'project' }] }, 'a root without uri')
  accepts(serverRequestResults.ping, { _meta: { a: 1 } }, 'a ping result')
  rejects(serverRequestResults.ping, { _meta: 'x' }, 'a ping result with a string _meta')
})

test('an error response is valid, with or without id', () => {
  accepts(JSONRPCErrorResponseSchema, { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }, 'an error')
  accepts(JSONRPCMessageSchema, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error', data: { offset: 3 } } }, 'an error without id')
})

test('invalid frames are rejected', () => {
  const cases: Array<[string, unknown]> = [
    ['id null', { jsonrpc: '2.0', id: null, method: 'ping' }],
    ['an error response with id null', { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }],
    ['an extra top-level key on a request', { jsonrpc: '2.0', id: 1, method: 'ping', extra: true }],
    ['an extra top-level key on a notification', { jsonrpc: '2.0', method: 'notifications/initialized', meta: {} }],
    ['an extra top-level key on a result', { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } }],
    ['a missing jsonrpc', { id: 1, method: 'ping' }],
    ["jsonrpc '1.0'", { jsonrpc: '1.0', id: 1, method: 'ping' }],
    ['jsonrpc 2 as a number', { jsonrpc: 2, id: 1, method: 'ping' }],
    ['error code 1.5', { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } }],
    ['an error without message', { jsonrpc: '2.0', id: 1, error: { code: -32603 } }],
    ['method not a string', { jsonrpc: '2.0', id: 1, method: 42 }],
    ['a fractional id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }],
    ['params that are an array', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: ['add'] }],
    ['a result that is a string', { jsonrpc: '2.0', id: 1, result: 'ok' }],
    ['a batch (2025-03-26 only)', [{ jsonrpc: '2.0', id: 1, method: 'ping' }]],
    ['null', null]
  ]
  for (const [what, frame] of cases) rejects(JSONRPCMessageSchema, frame, what)
})

test('invalid params are rejected', () => {
  rejects(clientRequestParams['tools/call'], { arguments: { a: 1 } }, 'tools/call without name')
  rejects(clientRequestParams['tools/call'], { name: 7 }, 'tools/call with a numeric name')
  rejects(clientRequestParams['resources/read'], { uri: 42 }, 'a resources/read uri that is a number')
  rejects(clientRequestParams['resources/read'], {}, 'resources/read without uri')
  rejects(clientRequestParams['resources/subscribe'], { uri: ['file:///a'] }, 'a resources/subscribe uri that is an array')
  rejects(clientRequestParams['tools/call'], undefined, 'tools/call without params')
  for (const level of ['trace', 'warn', 'fatal', 'INFO', '']) {
    rejects(clientRequestParams['logging/setLevel'], { level }, `logging level ${JSON.stringify(level)}`)
  }
  for (const level of ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']) {
    accepts(clientRequestParams['logging/setLevel'], { level }, `logging level ${level}`)
  }
  rejects(clientRequestParams.initialize, { protocolVersion: '2025-11-25', capabilities: {} }, 'initialize without clientInfo')
})

test('the method tables list exactly the methods of the spec', () => {
  const clientRequests = [
    'initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/templates/list',
    'resources/read', 'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get',
    'completion/complete', 'logging/setLevel', 'server/discover', 'subscriptions/listen',
    // The tasks extension (SEP-2663)
    'tasks/get', 'tasks/update', 'tasks/cancel',
    // 2025-11-25 experimental tasks (SEP-1686)
    'tasks/result'
  ]
  assert.deepEqual(Object.keys(clientRequestParams).sort(), [...clientRequests].sort())
  assert.deepEqual(Object.keys(serverResults).sort(), [...clientRequests].sort())
  assert.deepEqual(Object.keys(clientNotificationParams).sort(), [
    'notifications/cancelled', 'notifications/initialized', 'notifications/progress', 'notifications/roots/list_changed'
  ])
  assert.deepEqual(Object.keys(serverRequestResults).sort(), ['elicitation/create', 'ping', 'roots/list', 'sampling/createMessage'])
  for (const s of [clientRequestParams, clientNotificationParams, serverRequestResults, serverResults].flatMap(Object.values)) {
    assert.equal(Kind in s, true, 'every table value is a TypeBox schema')
  }
})

test('every exported schema compiles on its own, without $id or $ref, and only envelopes are closed', () => {
  const closed: string[] = []
  let count = 0
  for (const [name, value] of Object.entries(schema)) {
    if (!name.endsWith('Schema')) continue
    count++
    const s = value as TSchema
    assert.equal(Kind in s, true, `${name} is a TypeBox schema`)
    const json = JSON.stringify(s)
    assert.equal(json.includes('"$id"'), false, `${name} has no $id`)
    assert.equal(json.includes('"$ref"'), false, `${name} has no $ref`)
    TypeCompiler.Compile(s)
    if (json.includes('"additionalProperties":false')) closed.push(name)
  }
  assert.ok(count >= 90, `expected at least 90 exported schemas, found ${count}`)
  assert.deepEqual(closed.sort(), [
    'JSONRPCErrorResponseSchema',
    'JSONRPCMessageSchema',
    'JSONRPCNotificationSchema',
    'JSONRPCRequestSchema',
    'JSONRPCResponseSchema',
    'JSONRPCResultResponseSchema',
    'URLElicitationRequiredErrorSchema'
  ])
})
