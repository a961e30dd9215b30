// The headers a 2026-07-28 client mirrors from the body (`Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`)
// must agree with it, so that what a proxy routed on is what the server runs (Streamable HTTP
// "Standard Headers" and "Custom Headers from Tool Parameters"). Cases of the official conformance
// suite (`http-header-validation`, `http-custom-header-server-validation`) are named as such.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { once } from 'node:events'
import fc from 'fast-check'
import { ErrorCode } from '@mcp-fastify/mcp-protocol'
import { checkParamHeaders, checkStandardHeaders, decodeHeaderValue } from '../src/mirrored-headers.ts'
import { toJsonRpcError, type McpHttpError } from '../src/errors.ts'

type Message = Parameters<typeof checkStandardHeaders>[1]
type Params = Parameters<typeof checkParamHeaders>[1]

/** The reason of the -32020 refusal `check` throws, after checking it goes out as 400 / -32020. */
function refusal (check: () => void): string {
  let reason = ''
  assert.throws(check, (error: McpHttpError) => {
    assert.equal(error.code, 'FST_MCP_TRANSPORT_HEADER_MISMATCH')
    const { status, body } = toJsonRpcError(error)
    assert.equal(status, 400)
    assert.equal(body.error.code, ErrorCode.HeaderMismatch)
    reason = error.message
    return true
  })
  return reason
}

/** The client side of the spec's value encoding (Streamable HTTP "Value Encoding"), as an oracle. */
function encode (value: string): string {
  const plain = value !== '' && /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(value) &&
    !(value.startsWith('=?base64?') && value.endsWith('?='))
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`
}

test('decodeHeaderValue: a plain value is itself', () => {
  for (const value of ['us-west1', 'tools/call', 'a b', 'a\tb', 'file:///x?y=1&z=%20', '~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./', '', 'x']) {
    assert.equal(decodeHeaderValue(value), value, JSON.stringify(value))
  }
})

test('decodeHeaderValue: =?base64?...?= is the UTF-8 text of its base64', () => {
  assert.equal(decodeHeaderValue('=?base64?SGVsbG8=?='), 'Hello') // conformance ServerAcceptsValidBase64
  assert.equal(decodeHeaderValue('=?base64??='), '')
  assert.equal(decodeHeaderValue('=?base64?w6k=?='), 'é')
  assert.equal(decodeHeaderValue('=?base64?8J+YgA==?='), '😀')
  assert.equal(decodeHeaderValue('=?base64?AAkKDQ==?='), '\0\t\n\r')
  // A byte order mark is part of the text, not eaten by the decoder.
  assert.equal(decodeHeaderValue('=?base64?77u/YQ==?='), '\ufeffa')
})

test('decodeHeaderValue: the spec\'s encoding examples round-trip', () => {
  const table: Array<[string, string]> = [
    ['us-west1', 'us-west1'],
    ['Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?='],
    [' padded ', '=?base64?IHBhZGRlZCA=?='],
    ['line1\nline2', '=?base64?bGluZTEKbGluZTI=?='],
    ['=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='],
    ['', '=?base64??=']
  ]
  for (const [value, header] of table) {
    assert.equal(encode(value), header, 'the oracle encodes as the spec does')
    assert.equal(decodeHeaderValue(header), value, header)
  }
  // The conformance client sends an empty value plainly: both forms are ''.
  assert.equal(decodeHeaderValue(''), '')
})

test('decodeHeaderValue: base64 must be canonical standard base64 of UTF-8', () => {
  const invalid = [
    '=?base64?SGVsbG8?=', // conformance InvalidBase64Padding
    '=?base64?SGVs!!!bG8=?=', // conformance InvalidBase64Chars
    '=?base64?SGVsbG8==?=', // too much padding
    '=?base64?SGVsbG9=?=', // non-zero unused bits: not the canonical spelling of "Hello"
    '=?base64?SGVsbA=?=', // length % 4 !== 0
    '=?base64?SGV=sbG8?=', // padding inside
    '=?base64?SGVs bG8=?=', // a space inside
    '=?base64?SGVs\tbG8=?=',
    '=?base64?-_-_?=', // the URL-safe alphabet
    '=?base64?====?=',
    '=?base64?=?=',
    '=?base64?/w==?=', // 0xFF: not UTF-8
    '=?base64?wKA=?=', // an overlong encoding
    '=?base64?7aCA?=', // a lone surrogate (U+D800)
    '=?base64?4oI=?=' // a truncated sequence
  ]
  for (const value of invalid) assert.equal(decodeHeaderValue(value), undefined, value)
})

test('decodeHeaderValue: without the exact prefix and suffix a value is a literal', () => {
  for (const value of [
    '=?base64?SGVsbG8=', // conformance LiteralMissingBase64Suffix
    'SGVsbG8=', // conformance LiteralMissingBase64Prefix
    '=?BASE64?SGVsbG8=?=',
    '=?Base64?SGVsbG8=?=',
    '?base64?SGVsbG8=?=',
    '=?base64?', // prefix only
    '=?base64?=', // prefix and suffix overlap
    'SGVsbG8=?='
  ]) {
    assert.equal(decodeHeaderValue(value), value, value)
  }
})

test('decodeHeaderValue: characters outside visible ASCII with inner SP/HTAB are refused', () => {
  // Node hands header bytes 0x80-0xFF over as latin1 characters: raw UTF-8 "é" arrives as "Ã©".
  for (const value of ['Ã©', 'caf\u00e9', '\u00a0', '\u00ff', '世界', 'a\u0000b', 'a\u007fb', 'a\nb', 'a\rb', ' a', 'a ', '\ta', ' ', '=?base64?SGVsbG8=?=\u00e9']) {
    assert.equal(decodeHeaderValue(value), undefined, JSON.stringify(value))
  }
})

test('decodeHeaderValue: any text survives the spec encoding; no value with a byte above 0x7E is ever accepted', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => decodeHeaderValue(encode(text)) === text))
  fc.assert(fc.property(fc.string(), fc.integer({ min: 0x80, max: 0xff }), fc.string(), (before, code, after) =>
    decodeHeaderValue(before + String.fromCharCode(code) + after) === undefined))
})

const request = (method: string, params?: Record<string, unknown>): Message => ({ method, id: 1, params })
const call = (name: string, args: Record<string, unknown> = {}): Message => request('tools/call', { name, arguments: args })

test('Mcp-Method must equal the method of every request, byte for byte', () => {
  checkStandardHeaders({ 'mcp-method': 'tools/list' }, request('tools/list'))
  checkStandardHeaders({ 'mcp-method': 'tools/list' }, { method: 'tools/list', id: 'abc' })
  checkStandardHeaders({ 'mcp-method': 'tools/list' }, { method: 'tools/list', id: 0 })
  checkStandardHeaders({ 'mcp-method': 'tools/list' }, { method: 'tools/list', id: null })
  assert.match(refusal(() => checkStandardHeaders({}, request('tools/list'))), /Mcp-Method header is required/) // conformance ServerRejectsMissingMethodHeader
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'prompts/list' }, request('tools/list'))), /Mcp-Method header does not match/) // ServerRejectsMismatchedMethodHeader
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'TOOLS/LIST' }, request('tools/list'))), /does not match.*case-sensitive/) // ServerRejectsCaseMismatchValue
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/list ' + 'x' }, request('tools/list')))
  // Never base64: an encoded method is a different method.
  refusal(() => checkStandardHeaders({ 'mcp-method': '=?base64?dG9vbHMvbGlzdA==?=' }, request('tools/list')))
  // The method, as latin1, in the header and the body alike: still refused.
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'caf\u00e9' }, request('caf\u00e9'))), /outside visible ASCII/)
})

test('Mcp-Method is optional on a notification, but must match when sent', () => {
  checkStandardHeaders({}, { method: 'notifications/initialized' })
  checkStandardHeaders({ 'mcp-method': 'notifications/cancelled' }, { method: 'notifications/cancelled', params: { requestId: 1 } })
  refusal(() => checkStandardHeaders({ 'mcp-method': 'notifications/progress' }, { method: 'notifications/cancelled' }))
  refusal(() => checkStandardHeaders({ 'mcp-method': 'notifications/Cancelled' }, { method: 'notifications/cancelled' }))
})

test('a header sent twice is refused', () => {
  // Node joins repeats with ", "; a caller may also hand an array over.
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/list, tools/list' }, request('tools/list')))
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': ['tools/list', 'tools/list'] } as unknown as IncomingHttpHeaders, request('tools/list'))), /Mcp-Method header is sent more than once/)
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': ['t', 't'] } as unknown as IncomingHttpHeaders, call('t'))), /Mcp-Name header is sent more than once/)
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 't, t' }, call('t')))
})

test('Mcp-Name must mirror params.name of tools/call and prompts/get', () => {
  for (const method of ['tools/call', 'prompts/get']) {
    const message = request(method, { name: 'get_weather', arguments: {} })
    checkStandardHeaders({ 'mcp-method': method, 'mcp-name': 'get_weather' }, message)
    assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': method, 'mcp-name': 'wrong_tool_name' }, message)), /Mcp-Name header does not match params\.name/) // ServerRejectsMismatchedNameHeader
    assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': method }, message)), new RegExp(`Mcp-Name header is required on ${method}`)) // ServerRejectsMissingNameHeader
    refusal(() => checkStandardHeaders({ 'mcp-method': method, 'mcp-name': 'Get_Weather' }, message))
  }
})

test('Mcp-Name must mirror params.uri of resources/read, decoded', () => {
  const uri = 'file:///notes/été 2026.md'
  const message = request('resources/read', { uri })
  checkStandardHeaders({ 'mcp-method': 'resources/read', 'mcp-name': encode(uri) }, message)
  checkStandardHeaders({ 'mcp-method': 'resources/read', 'mcp-name': 'notes://a b' }, request('resources/read', { uri: 'notes://a b' }))
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///notes/other.md' }, message)), /params\.uri/)
  refusal(() => checkStandardHeaders({ 'mcp-method': 'resources/read' }, message))
  // What raw UTF-8 bytes look like once Node has read them as latin1.
  refusal(() => checkStandardHeaders({ 'mcp-method': 'resources/read', 'mcp-name': Buffer.from(uri).toString('latin1') }, message))
})

test('Mcp-Name must mirror params.taskId of tasks/get, tasks/update and tasks/cancel', () => {
  for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
    const message = request(method, { taskId: 'task-42' })
    checkStandardHeaders({ 'mcp-method': method, 'mcp-name': 'task-42' }, message)
    assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': method, 'mcp-name': 'task-43' }, message)), /params\.taskId/)
    refusal(() => checkStandardHeaders({ 'mcp-method': method }, message))
  }
})

test('Mcp-Name is compared after decoding, and refused when it cannot be decoded', () => {
  const message = call('Hello')
  checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVsbG8=?=' }, message)
  assert.match(refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVsbG8?=' }, message)), /Mcp-Name header is not a valid value/)
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVs!!!bG8=?=' }, message))
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'Hello\u00e9' }, call('Hello\u00e9')))
  // A literal that looks like the sentinel but lacks its suffix is compared as it is.
  checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVsbG8=' }, call('=?base64?SGVsbG8='))
  // An undecodable name is refused even where the body has no name to compare it with.
  refusal(() => checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?!?=' }, request('tools/call', {})))
})

test('optional whitespace around a value is not part of it', () => {
  // Node's parser strips it from what arrives over a socket; an injected request may keep it.
  checkStandardHeaders({ 'mcp-method': ' tools/call\t', 'mcp-name': '  my_tool  ' }, call('my_tool')) // ServerAcceptsWhitespaceHeaderValue
  checkParamHeaders({ 'mcp-param-region': ' us-west1 ' }, [{ header: 'Region', path: ['region'], type: 'string' }], { region: 'us-west1' })
})

test('Mcp-Name is left alone where the body has no name to mirror, and on other methods', () => {
  // A body without (or with a mistyped) params.name is the message validator's to refuse.
  checkStandardHeaders({ 'mcp-method': 'tools/call' }, request('tools/call'))
  checkStandardHeaders({ 'mcp-method': 'tools/call' }, request('tools/call', { arguments: {} }))
  checkStandardHeaders({ 'mcp-method': 'tools/call', 'mcp-name': 'x' }, request('tools/call', { name: 42 }))
  checkStandardHeaders({ 'mcp-method': 'tools/list', 'mcp-name': 'anything' }, request('tools/list'))
  checkStandardHeaders({ 'mcp-method': 'resources/list', 'mcp-name': '=?base64?bad?=' }, request('resources/list'))
  // Method names that are members of every object are not in the table.
  checkStandardHeaders({ 'mcp-method': 'constructor' }, request('constructor', { name: 'x' }))
})

const region: Params = [{ header: 'Region', path: ['region'], type: 'string' }]
const custom = (bodyValue: unknown, header?: string): void =>
  checkParamHeaders(header === undefined ? {} : { 'mcp-param-region': header }, region, { region: bodyValue })

test('Mcp-Param-*: the conformance suite\'s cases', () => {
  custom('Hello', '=?base64?SGVsbG8=?=') // ServerAcceptsValidBase64
  assert.match(refusal(() => custom('Hello', '=?base64?SGVsbG8?=')), /Mcp-Param-Region header is not a valid value/) // InvalidBase64Padding
  refusal(() => custom('Hello', '=?base64?SGVs!!!bG8=?=')) // InvalidBase64Chars
  custom('SGVsbG8=', 'SGVsbG8=') // LiteralMissingBase64Prefix
  custom('=?base64?SGVsbG8=', '=?base64?SGVsbG8=') // LiteralMissingBase64Suffix
  assert.match(refusal(() => custom('test-value')), /Mcp-Param-Region header is required: it mirrors arguments\.region/) // ServerRejectsMissingCustomHeader
})

test('Mcp-Param-*: a string argument is compared exactly after decoding', () => {
  custom('us-west1', 'us-west1')
  custom('Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?=')
  custom('', '')
  custom('', '=?base64??=')
  custom('=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=')
  assert.match(refusal(() => custom('us-west1', 'us-east1')), /Mcp-Param-Region header does not match arguments\.region/)
  refusal(() => custom('us-west1', 'US-WEST1'))
  refusal(() => custom('Hello, 世界', 'Hello, 世界'))
  refusal(() => custom('é', Buffer.from('é').toString('latin1')))
  refusal(() => custom('=?base64?literal?=', '=?base64?literal?='))
})

test('Mcp-Param-*: integers are compared as numbers, booleans as true/false', () => {
  const priority: Params = [{ header: 'Priority', path: ['priority'], type: 'integer' }]
  const verbose: Params = [{ header: 'Verbose', path: ['verbose'], type: 'boolean' }]
  for (const header of ['42', '42.0', '042', '=?base64?NDI=?=']) checkParamHeaders({ 'mcp-param-priority': header }, priority, { priority: 42 })
  checkParamHeaders({ 'mcp-param-priority': '-7' }, priority, { priority: -7 })
  checkParamHeaders({ 'mcp-param-priority': '0' }, priority, { priority: -0 })
  for (const header of ['43', '42.5', '4.2e1', '0x2a', '+42', 'forty-two', '', '-42']) {
    refusal(() => checkParamHeaders({ 'mcp-param-priority': header }, priority, { priority: 42 }))
  }
  refusal(() => checkParamHeaders({}, priority, { priority: 0 }))
  checkParamHeaders({ 'mcp-param-verbose': 'false' }, verbose, { verbose: false })
  checkParamHeaders({ 'mcp-param-verbose': 'true' }, verbose, { verbose: true })
  for (const header of ['True', 'TRUE', '1', 'false', 'yes']) {
    refusal(() => checkParamHeaders({ 'mcp-param-verbose': header }, verbose, { verbose: true }))
  }
  refusal(() => checkParamHeaders({}, verbose, { verbose: false }))
})

test('Mcp-Param-*: an absent or null argument expects no header, and one sent anyway is ignored', () => {
  for (const args of [{}, { region: null }, { region: undefined }, undefined]) {
    checkParamHeaders({}, region, args)
    checkParamHeaders({ 'mcp-param-region': 'us-west1' }, region, args)
    checkParamHeaders({ 'mcp-param-region': '=?base64?bad?=' }, region, args)
  }
})

test('Mcp-Param-*: an argument of another type than declared is left to input validation', () => {
  custom(42, 'x')
  custom(true)
  custom({ a: 1 }, 'x')
  custom(['us-west1'])
  const priority: Params = [{ header: 'Priority', path: ['priority'], type: 'integer' }]
  for (const value of ['42', 4.5, Number.NaN, Infinity, 2 ** 53, -(2 ** 53), 1e21, true]) {
    checkParamHeaders({}, priority, { priority: value })
  }
  checkParamHeaders({ 'mcp-param-priority': String(2 ** 53 - 1) }, priority, { priority: 2 ** 53 - 1 })
  refusal(() => checkParamHeaders({}, priority, { priority: 2 ** 53 - 1 }))
  checkParamHeaders({}, [{ header: 'Verbose', path: ['verbose'], type: 'boolean' }], { verbose: 'true' })
})

test('Mcp-Param-*: nested arguments are read along their path, own members only', () => {
  const tenant: Params = [{ header: 'Tenant', path: ['nested', 'tenant'], type: 'string' }]
  checkParamHeaders({ 'mcp-param-tenant': '=?base64?IHBhZGRlZCA=?=' }, tenant, { nested: { tenant: ' padded ' } })
  refusal(() => checkParamHeaders({ 'mcp-param-tenant': 'other' }, tenant, { nested: { tenant: 'acme' } }))
  refusal(() => checkParamHeaders({}, tenant, { nested: { tenant: 'acme' } }))
  for (const args of [{ nested: null }, { nested: 'acme' }, { nested: ['acme'] }, { nested: {} }, {}]) checkParamHeaders({}, tenant, args)
  // Inherited members are not arguments.
  checkParamHeaders({}, [{ header: 'Ctor', path: ['nested', 'constructor'], type: 'string' }], { nested: {} })
  checkParamHeaders({}, [{ header: 'Proto', path: ['toString'], type: 'string' }], Object.create({ toString: 'inherited' }))
})

test('Mcp-Param-*: header names are case-insensitive, unknown ones are ignored, repeats refused', () => {
  // Node lower-cases header names; the declared name may have any case.
  const params: Params = [{ header: 'TENANT-ID', path: ['tenant'], type: 'string' }]
  checkParamHeaders({ 'mcp-param-tenant-id': 'acme', 'mcp-param-unknown': 'whatever', 'mcp-param-other': '=?base64?bad?=' }, params, { tenant: 'acme' })
  assert.match(refusal(() => checkParamHeaders({}, params, { tenant: 'acme' })), /Mcp-Param-TENANT-ID header is required/)
  refusal(() => checkParamHeaders({ 'mcp-param-tenant-id': ['acme', 'acme'] } as unknown as IncomingHttpHeaders, params, { tenant: 'acme' }))
  refusal(() => checkParamHeaders({ 'mcp-param-tenant-id': 'acme, acme' }, params, { tenant: 'acme' }))
  checkParamHeaders({ 'mcp-param-region': 'x' }, [], { region: 'y' })
})

test('Mcp-Param-*: the headers the SDK v2 client sends for a call are accepted', () => {
  const params: Params = [
    { header: 'Region', path: ['region'], type: 'string' },
    { header: 'Priority', path: ['priority'], type: 'integer' },
    { header: 'Verbose', path: ['verbose'], type: 'boolean' },
    { header: 'Greeting', path: ['greeting'], type: 'string' },
    { header: 'Opt', path: ['opt'], type: 'string' },
    { header: 'Tenant', path: ['nested', 'tenant'], type: 'string' }
  ]
  // Captured from @modelcontextprotocol/client 2.4.0 (research notes, wire-2026 section 9).
  const headers = {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'q',
    'mcp-param-region': 'us-west1',
    'mcp-param-priority': '42',
    'mcp-param-verbose': 'false',
    'mcp-param-greeting': '=?base64?SGVsbG8sIOS4lueVjA==?=',
    'mcp-param-tenant': '=?base64?IHBhZGRlZCA=?='
  }
  const args = { region: 'us-west1', priority: 42, verbose: false, greeting: 'Hello, 世界', opt: null, nested: { tenant: ' padded ' } }
  checkStandardHeaders(headers, call('q', args))
  checkParamHeaders(headers, params, args)
  refusal(() => checkParamHeaders(headers, params, { ...args, verbose: true }))
})

test('over a socket: header names in any case, whitespace stripped, bytes above 0x7E refused', async (t) => {
  // What Node's parser hands over is what the checks see in production: a raw request, byte for byte.
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('end', () => {
      const message = JSON.parse(body) as Message & { params?: { arguments?: Record<string, unknown> } }
      try {
        checkStandardHeaders(req.headers, message)
        checkParamHeaders(req.headers, region, message.params?.arguments)
        res.writeHead(200).end()
      } catch (error) {
        const { status, body } = toJsonRpcError(error as McpHttpError)
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const { port } = server.address() as { port: number }

  const send = async (headerLines: string[], message: object): Promise<number> => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }))
    const head = Buffer.concat([
      Buffer.from('POST /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n'),
      ...headerLines.map((line) => Buffer.concat([Buffer.from(line, 'utf8'), Buffer.from('\r\n')])),
      Buffer.from(`Content-Length: ${body.length}\r\n\r\n`)
    ])
    const socket = connect(port, '127.0.0.1')
    socket.end(Buffer.concat([head, body]))
    let answer = ''
    for await (const chunk of socket) answer += String(chunk)
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
  }
  const toolsCall = (name: string, args: Record<string, unknown> = {}): object => ({ id: 1, method: 'tools/call', params: { name, arguments: args } })

  assert.equal(await send(['mcp-method: tools/list'], { id: 1, method: 'tools/list' }), 200) // ServerAcceptsLowercaseHeaderName
  assert.equal(await send(['MCP-METHOD: tools/list'], { id: 1, method: 'tools/list' }), 200) // ServerAcceptsUppercaseHeaderName
  assert.equal(await send(['Mcp-Method: TOOLS/LIST'], { id: 1, method: 'tools/list' }), 400) // ServerRejectsCaseMismatchValue
  assert.equal(await send(['Mcp-Method: tools/list', 'Mcp-Method: tools/list'], { id: 1, method: 'tools/list' }), 400)
  assert.equal(await send(['Mcp-Method: tools/call', 'Mcp-Name:   my_tool  '], toolsCall('my_tool')), 200) // ServerAcceptsWhitespaceHeaderValue
  assert.equal(await send(['Mcp-Method: tools/call', 'Mcp-Name: café'], toolsCall('café')), 400) // raw UTF-8 arrives as latin1
  assert.equal(await send(['Mcp-Method: tools/call', 'Mcp-Name: =?base64?Y2Fmw6k=?='], toolsCall('café')), 200)
  assert.equal(await send(['Mcp-Method: tools/call', 'Mcp-Name: t', 'MCP-PARAM-REGION: us-west1'], toolsCall('t', { region: 'us-west1' })), 200)
  assert.equal(await send(['Mcp-Method: tools/call', 'Mcp-Name: t', 'Mcp-Param-Region: é'], toolsCall('t', { region: 'é' })), 400)
})
