import type { IncomingHttpHeaders } from 'node:http'
import type { HeaderParam } from '@mcp-fastify/mcp-protocol'
import { FST_MCP_TRANSPORT_HEADER_MISMATCH } from './errors.ts'

// 2026-07-28 Streamable HTTP mirrors parts of the body into headers (`Mcp-Method`, `Mcp-Name`,
// `Mcp-Param-*`) so that proxies can route without reading it; the server checks that they agree
// with the body, so that what a proxy routed on is what the server runs. Every refusal is
// FST_MCP_TRANSPORT_HEADER_MISMATCH: 400 with JSON-RPC -32020.

const PREFIX = '=?base64?'
const SUFFIX = '?='
/** Visible ASCII, with SP and HTAB inside the value only (never first or last). */
const PLAIN = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/
/** Optional whitespace around a field value (Node's parser strips it; injected requests may not). */
const OWS = /^[ \t]+|[ \t]+$/g
/** A header value compared numerically with an integer argument (`42`, `-7`, `42.0`). */
const DECIMAL = /^-?\d+(?:\.\d+)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const INVALID = 'is not a valid value (visible ASCII, or =?base64?...?= with canonical base64 of UTF-8 text)'

/**
 * Decodes a `Mcp-Name` / `Mcp-Param-*` header value: a plain value (visible ASCII 0x21–0x7E with
 * inner SP/HTAB) is itself; `=?base64?<b64>?=` (exact lowercase prefix and suffix) is the UTF-8 text
 * of its strictly validated standard base64 (`=?base64??=` is ''); a value with the prefix but not
 * the suffix is a plain literal. `undefined` when invalid: base64 that is not canonical standard
 * base64 with its padding, bytes that are not UTF-8, or a character outside the allowed set (Node
 * hands bytes ≥ 0x80 over as latin1 characters, which are refused here).
 */
export function decodeHeaderValue (raw: string): string | undefined {
  if (!PLAIN.test(raw)) return undefined
  // `=?base64?=` has the prefix and ends with `?=`, but the two overlap: it is a literal.
  if (raw.length < PREFIX.length + SUFFIX.length || !raw.startsWith(PREFIX) || !raw.endsWith(SUFFIX)) return raw
  const base64 = raw.slice(PREFIX.length, -SUFFIX.length)
  // Buffer's decoder skips what it does not know and accepts the URL-safe alphabet and missing
  // padding; encoding its result back gives canonical standard base64, which must be what was sent.
  const bytes = Buffer.from(base64, 'base64')
  if (bytes.toString('base64') !== base64) return undefined
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** The body member `Mcp-Name` mirrors, by method (the tasks methods are the tasks extension's). */
const NAME_SOURCES: ReadonlyMap<string, string> = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
  ['tasks/get', 'taskId'],
  ['tasks/update', 'taskId'],
  ['tasks/cancel', 'taskId']
])

/**
 * Checks the standard headers of a modern (2026-07-28) message against its body: `Mcp-Method`
 * (required on a request, optional on a notification, always byte-exact, never base64) and
 * `Mcp-Name` (required on the methods that name something, compared after decoding). A body member
 * of the wrong type is left to message validation. Throws FST_MCP_TRANSPORT_HEADER_MISMATCH.
 */
export function checkStandardHeaders (headers: IncomingHttpHeaders, message: { method: string, id?: unknown, params?: Record<string, unknown> }): void {
  const { method, params } = message
  const methodHeader = read(headers, 'mcp-method', 'Mcp-Method')
  if (methodHeader === undefined) {
    if (message.id !== undefined) mismatch('the Mcp-Method header is required on every request')
  } else if (!PLAIN.test(methodHeader)) {
    mismatch('the Mcp-Method header has a character outside visible ASCII')
  } else if (methodHeader !== method) {
    mismatch('the Mcp-Method header does not match the method of the body (the comparison is case-sensitive)')
  }

  const source = NAME_SOURCES.get(method)
  if (source === undefined) return
  const nameHeader = read(headers, 'mcp-name', 'Mcp-Name')
  const expected = params != null && typeof params === 'object' && Object.hasOwn(params, source) ? params[source] : undefined
  if (nameHeader === undefined) {
    if (typeof expected === 'string') mismatch(`the Mcp-Name header is required on ${method} (it mirrors params.${source})`)
    return
  }
  const name = decodeHeaderValue(nameHeader)
  if (name === undefined) mismatch(`the Mcp-Name header ${INVALID}`)
  if (typeof expected === 'string' && name !== expected) mismatch(`the Mcp-Name header does not match params.${source}`)
}

/**
 * Checks the `Mcp-Param-*` headers of a `tools/call` against its arguments, for the parameters the
 * tool mirrors (`headerParamsOf` of mcp-protocol). An argument that is absent or null expects no
 * header (one sent anyway is ignored); one of another type than declared (or an integer beyond
 * ±(2^53−1), which clients do not mirror) is left to the tool's input validation. Headers of
 * parameters the tool does not declare are ignored. Throws FST_MCP_TRANSPORT_HEADER_MISMATCH.
 */
export function checkParamHeaders (headers: IncomingHttpHeaders, params: readonly HeaderParam[], args: Record<string, unknown> | undefined): void {
  for (const param of params) {
    const value = valueAt(args, param.path)
    if (value === undefined || value === null) continue
    if (!isOfType(value, param.type)) continue
    const label = `Mcp-Param-${param.header}`
    const raw = read(headers, `mcp-param-${param.header.toLowerCase()}`, label)
    const argument = `arguments.${param.path.join('.')}`
    if (raw === undefined) mismatch(`the ${label} header is required: it mirrors ${argument}`)
    const decoded = decodeHeaderValue(raw)
    if (decoded === undefined) mismatch(`the ${label} header ${INVALID}`)
    // Integers compare numerically when the header is a plain decimal (`42.0` is 42), as the spec advises.
    const equal = typeof value === 'number' && DECIMAL.test(decoded) ? Number(decoded) === value : decoded === String(value)
    if (!equal) mismatch(`the ${label} header does not match ${argument}`)
  }
}

/** Whether an argument has the type its parameter declares (an integer within ±(2^53−1), as the spec requires). */
function isOfType (value: unknown, type: HeaderParam['type']): boolean {
  if (type === 'integer') return Number.isSafeInteger(value)
  return type === 'string' ? typeof value === 'string' : typeof value === 'boolean'
}

/** A header's value without its optional whitespace, `undefined` when absent; a repeated header is a mismatch. */
function read (headers: IncomingHttpHeaders, name: string, label: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') mismatch(`the ${label} header is sent more than once`)
  return value.replace(OWS, '')
}

/** The member of `args` at `path` (own members of objects only), `undefined` when there is none. */
function valueAt (args: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let node: unknown = args
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function mismatch (why: string): never {
  throw new FST_MCP_TRANSPORT_HEADER_MISMATCH(why)
}
