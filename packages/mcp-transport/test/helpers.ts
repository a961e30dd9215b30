import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import type { TestContext } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import { Agent, request } from 'undici'
import mcpTransport, { type McpTransportOptions } from '../src/index.ts'

export interface BuildOptions {
  /** Register mcp-session (with these options); `false` for a stateless endpoint. */
  sessions?: McpSessionOptions | false
  transport?: McpTransportOptions
  /** Declares tools, resources, prompts on the endpoint's server. */
  declare?: (mcp: McpServer) => void
  /** Registers other plugins (`@fastify/cors`...) before the MCP ones. */
  before?: (app: FastifyInstance) => Promise<void>
}

/** An app with the plugins under test, closed when the test ends. */
export async function buildApp (t: TestContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.after(() => app.close())
  await options.before?.(app)
  if (options.sessions !== false) await app.register(mcpSession, options.sessions ?? {})
  await app.register(mcpTransport, options.transport ?? {})
  options.declare?.(app.mcp)
  await app.ready()
  return app
}

export const JSON_AND_SSE = 'application/json, text/event-stream'

export function initializeBody (protocolVersion = '2025-11-25', capabilities: object = {}): object {
  return {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities, clientInfo: { name: 'test-client', version: '1.0.0' } }
  }
}

/** POSTs a JSON-RPC body to `/mcp` with the headers a conforming client sends. */
export function post (app: FastifyInstance, body: unknown, headers: Record<string, string> = {}, url = '/mcp'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  } satisfies InjectOptions)
}

/** Initializes a session; returns its id and the headers later requests carry. */
export async function initialize (app: FastifyInstance, protocolVersion = '2025-11-25', capabilities: object = {}, url = '/mcp'): Promise<{ sessionId: string, headers: Record<string, string> }> {
  const response = await post(app, initializeBody(protocolVersion, capabilities), {}, url)
  const sessionId = response.headers['mcp-session-id']
  if (response.statusCode !== 200 || typeof sessionId !== 'string') {
    throw new Error(`initialize failed: ${response.statusCode} ${response.body}`)
  }
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion }
  const initialized = await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers, url)
  if (initialized.statusCode !== 202) throw new Error(`notifications/initialized failed: ${initialized.statusCode} ${initialized.body}`)
  return { sessionId, headers }
}

export interface SseEvent {
  id?: string
  event?: string
  data: string
  retry?: number
}

function parseBlock (block: string): SseEvent {
  const event: SseEvent = { data: '' }
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') event.data += value
    else if (field === 'id') event.id = value
    else if (field === 'event') event.event = value
    else if (field === 'retry') event.retry = Number(value)
  }
  return event
}

function isComment (block: string): boolean {
  return block.split('\n').every((line) => line.startsWith(':'))
}

/** Parses an SSE body into its events (comments left out). */
export function parseSse (body: string): SseEvent[] {
  return body.split('\n\n').filter((block) => block.trim() !== '' && !isComment(block)).map(parseBlock)
}

/** The JSON-RPC message an SSE event carries. */
export function messageOf (event: SseEvent | undefined): Record<string, any> {
  assert.ok(event !== undefined, 'expected an SSE event')
  assert.notEqual(event.data, '', `expected a message in event ${JSON.stringify(event)}`)
  return JSON.parse(event.data)
}

/** A JSON-RPC request. */
export function rpc (id: number | string, method: string, params?: Record<string, unknown>): object {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
}

/** A `tools/call` request, with a progress token when given. */
export function callTool (id: number | string, name: string, args: Record<string, unknown> = {}, progressToken?: string | number): object {
  const params: Record<string, unknown> = { name, arguments: args }
  if (progressToken !== undefined) params._meta = { progressToken }
  return rpc(id, 'tools/call', params)
}

interface ResponseLike {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

export interface ExpectedError {
  status: number
  code: number
  message: string | RegExp
  /** The id the error must echo; `null`: the body must have no `id`; `undefined`: not checked. */
  id?: number | string | null
}

/** Asserts an HTTP error whose body is a JSON-RPC error response. */
export function assertRpcError (response: ResponseLike, expected: ExpectedError): void {
  assert.equal(response.statusCode, expected.status, `status of ${response.body}`)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const body = JSON.parse(response.body)
  assert.equal(body.jsonrpc, '2.0')
  assert.equal(body.error?.code, expected.code, `code of ${response.body}`)
  if (typeof expected.message === 'string') assert.equal(body.error.message, expected.message)
  else assert.match(body.error.message, expected.message)
  if (expected.id === null) assert.equal('id' in body, false, `no id expected in ${response.body}`)
  else if (expected.id !== undefined) assert.equal(body.id, expected.id)
  assert.equal('result' in body, false)
}

/** A `ping` still gets its answer: the endpoint serves after whatever came before. */
export async function assertServes (app: FastifyInstance, headers: Record<string, string> = {}, url = '/mcp'): Promise<void> {
  const response = await post(app, rpc('still-serving', 'ping'), headers, url)
  assert.equal(response.statusCode, 200, response.body)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(response.body), { jsonrpc: '2.0', id: 'still-serving', result: {} })
}

/** `<stream>.<n>`: the event ids this server gives. */
export const EVENT_ID = /^([A-Za-z0-9_-]+)\.(\d+)$/

export function streamOf (id: string | undefined): string {
  const found = EVENT_ID.exec(id ?? '')
  assert.ok(found !== null, `"${id}" is not an event id of the form <stream>.<n>`)
  return found[1]!
}

export function seqOf (id: string | undefined): number {
  const found = EVENT_ID.exec(id ?? '')
  assert.ok(found !== null, `"${id}" is not an event id of the form <stream>.<n>`)
  return Number(found[2])
}

/** Rejects when `promise` has not settled within `ms`. */
export function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

export function deferred<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
  return { promise, resolve, reject }
}

/**
 * An HTTP client for real-socket tests. Create it before the app: `t.after` hooks run in order,
 * so its connections are destroyed before the app closes.
 */
export function httpClient (t: TestContext): Agent {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  const readers = new Set<SseReader>()
  openReaders.set(agent, readers)
  t.after(async () => {
    for (const reader of readers) reader.close()
    await agent.destroy()
  })
  return agent
}

/** The SSE bodies opened through each client, closed with it. */
const openReaders = new WeakMap<Agent, Set<SseReader>>()

/** Listens on a loopback port; returns the base URL. */
export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** Reads an SSE response body as it arrives. */
export class SseReader {
  readonly #events: SseEvent[] = []
  readonly #comments: string[] = []
  readonly #ended = deferred()
  readonly #waiters = new Set<() => void>()
  #buffer = ''
  #done = false
  #error: Error | undefined
  readonly #body: Readable

  constructor (body: Readable) {
    this.#body = body
    const decoder = new TextDecoder()
    body.on('data', (chunk: Buffer) => {
      this.#buffer += decoder.decode(chunk, { stream: true })
      let end = this.#buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = this.#buffer.slice(0, end)
        this.#buffer = this.#buffer.slice(end + 2)
        if (block.trim() !== '') {
          if (isComment(block)) this.#comments.push(block.replace(/^:\s?/, ''))
          else this.#events.push(parseBlock(block))
        }
        end = this.#buffer.indexOf('\n\n')
      }
      this.#wake()
    })
    const finish = (error?: Error): void => {
      if (this.#done) return
      this.#done = true
      this.#error = error
      this.#ended.resolve()
      this.#wake()
    }
    body.on('end', () => finish())
    body.on('close', () => finish())
    body.on('error', (error) => finish(error))
  }

  /** Whether the stream ended by an error (an abort, a reset) rather than cleanly. */
  get error (): Error | undefined {
    return this.#error
  }

  /** Bytes received after the last complete event (a stream must end on an event boundary). */
  get leftover (): string {
    return this.#buffer
  }

  /** The next event (comments aside); rejects when the stream ends first or after `ms`. */
  async next (ms = 2000): Promise<SseEvent> {
    return withTimeout(this.#take(this.#events, 'event'), ms, 'an SSE event')
  }

  /** The next comment line (`: keepalive`), without its colon. */
  async nextComment (ms = 2000): Promise<string> {
    return withTimeout(this.#take(this.#comments, 'comment'), ms, 'an SSE comment')
  }

  /** Every event not read yet, once the server ends the stream. */
  async rest (ms = 2000): Promise<SseEvent[]> {
    await this.ended(ms)
    return this.#events.splice(0)
  }

  /** Resolves once the stream ended (either side); rejects after `ms`. */
  ended (ms = 2000): Promise<void> {
    return withTimeout(this.#ended.promise, ms, 'the end of the SSE stream')
  }

  get done (): boolean {
    return this.#done
  }

  /** Closes the connection from the client side. */
  close (): void {
    this.#body.destroy()
  }

  /** Stops reading: what the server sends piles up in the socket buffers (a slow client). */
  pause (): void {
    this.#body.pause()
  }

  resume (): void {
    this.#body.resume()
  }

  async #take<T> (queue: T[], what: string): Promise<T> {
    while (queue.length === 0) {
      if (this.#done) throw new Error(`the SSE stream ended before the next ${what}`)
      await new Promise<void>((resolve) => { this.#waiters.add(resolve) })
    }
    return queue.shift()!
  }

  #wake (): void {
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const waiter of waiters) waiter()
  }
}

export interface OpenedStream {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  sse: SseReader
}

/** A request over a real socket whose answer is read as it streams (GET streams, SSE POSTs). */
export async function openStream (agent: Agent, url: string, options: {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: unknown
  signal?: AbortSignal
} = {}): Promise<OpenedStream> {
  const method = options.method ?? 'GET'
  const headers = method === 'GET'
    ? { accept: 'text/event-stream', ...options.headers }
    : { accept: JSON_AND_SSE, 'content-type': 'application/json', ...options.headers }
  const response = await request(url, {
    dispatcher: agent,
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal
  })
  const sse = new SseReader(response.body)
  openReaders.get(agent)?.add(sse)
  return { statusCode: response.statusCode, headers: response.headers, sse }
}

/** A request over a real socket whose whole answer is read as text. */
export async function send (agent: Agent, url: string, options: {
  method?: 'GET' | 'POST' | 'DELETE' | 'HEAD'
  headers?: Record<string, string>
  body?: unknown
} = {}): Promise<{ statusCode: number, headers: Record<string, string | string[] | undefined>, body: string }> {
  const method = options.method ?? 'POST'
  const headers = method === 'POST'
    ? { accept: JSON_AND_SSE, 'content-type': 'application/json', ...options.headers }
    : { ...options.headers }
  const response = await request(url, {
    dispatcher: agent,
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  })
  return { statusCode: response.statusCode, headers: response.headers, body: await response.body.text() }
}

/** The `_meta` envelope of a 2026-07-28 request; `extra` adds keys (or overrides them). */
export function envelope (capabilities: object = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    'io.modelcontextprotocol/clientInfo': { name: 'test-client', version: '1.0.0' },
    ...extra
  }
}

/** The headers a 2026-07-28 client sends with `body` (method and name mirrored). */
export function modernHeaders (body: { method: string, params?: Record<string, unknown> }): Record<string, string> {
  const headers: Record<string, string> = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': body.method }
  const name = body.params?.name ?? body.params?.uri
  if (typeof name === 'string' && ['tools/call', 'prompts/get', 'resources/read'].includes(body.method)) headers['mcp-name'] = name
  return headers
}

/** A 2026-07-28 request: the envelope in `params._meta` (unless `params._meta` is given), the headers mirrored. */
export function modernRequest (id: number | string, method: string, params: Record<string, unknown> = {}, capabilities: object = {}): { jsonrpc: '2.0', id: number | string, method: string, params: Record<string, unknown> } {
  return { jsonrpc: '2.0', id, method, params: { _meta: envelope(capabilities), ...params } }
}

/** POSTs a 2026-07-28 request with its mirrored headers (`headers` added or overriding). */
export function modernPost (app: FastifyInstance, body: { method: string, params?: Record<string, unknown> }, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return post(app, body, { ...modernHeaders(body), ...headers })
}
