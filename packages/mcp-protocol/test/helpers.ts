import assert from 'node:assert/strict'
import {
  McpServer,
  type ClientCapabilities,
  type ClientSession,
  type JSONRPCErrorObject,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type LoggingLevel,
  type McpServerOptions,
  type ProtocolVersion,
  type RequestChannel
} from '../src/index.ts'

/** What a test session recorded: the calls the engine made on it. */
export interface TestSession extends ClientSession {
  logLevel: LoggingLevel | undefined
  readonly levels: LoggingLevel[]
  readonly subscribed: string[]
  readonly unsubscribed: string[]
}

export interface SessionOptions {
  id?: string | undefined
  protocolVersion?: ProtocolVersion
  clientCapabilities?: ClientCapabilities
  logLevel?: LoggingLevel
}

/** A ClientSession as a plain object literal; `setLogLevel` keeps the level, as a session plugin would. */
export function makeSession (options: SessionOptions = {}): TestSession {
  const levels: LoggingLevel[] = []
  const subscribed: string[] = []
  const unsubscribed: string[] = []
  return {
    id: 'id' in options ? options.id : 'session-a',
    protocolVersion: options.protocolVersion ?? '2025-11-25',
    clientCapabilities: options.clientCapabilities ?? {},
    clientInfo: { name: 'test-client', version: '1.0.0' },
    logLevel: options.logLevel,
    levels,
    subscribed,
    unsubscribed,
    setLogLevel (level) {
      levels.push(level)
      this.logLevel = level
    },
    subscribe (uri) {
      subscribed.push(uri)
    },
    unsubscribe (uri) {
      unsubscribed.push(uri)
    }
  }
}

/** A session whose client declared every capability the engine asks for. */
export function capableSession (id: string | undefined = 'session-a', protocolVersion: ProtocolVersion = '2025-11-25'): TestSession {
  return makeSession({ id, protocolVersion, clientCapabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } })
}

export interface TestChannel extends RequestChannel {
  readonly sent: Array<JSONRPCRequest | JSONRPCNotification>
  readonly closed: Array<number | undefined>
  /** The requests sent so far (messages with an id). */
  requests (): JSONRPCRequest[]
  notifications (method?: string): JSONRPCNotification[]
  /** Resolves with the next request sent on the channel that no earlier call returned. */
  nextRequest (): Promise<JSONRPCRequest>
}

export function makeChannel (): TestChannel {
  const sent: Array<JSONRPCRequest | JSONRPCNotification> = []
  const closed: Array<number | undefined> = []
  const queued: JSONRPCRequest[] = []
  const waiters: Array<(request: JSONRPCRequest) => void> = []
  return {
    sent,
    closed,
    send (message) {
      sent.push(message)
      if ('id' in message) {
        const waiter = waiters.shift()
        if (waiter === undefined) queued.push(message)
        else waiter(message)
      }
    },
    closeStream (retryMs) {
      closed.push(retryMs)
    },
    requests () {
      return sent.filter((message): message is JSONRPCRequest => 'id' in message)
    },
    notifications (method) {
      return sent.filter((message): message is JSONRPCNotification =>
        !('id' in message) && (method === undefined || message.method === method))
    },
    nextRequest () {
      const request = queued.shift()
      return request === undefined ? new Promise((resolve) => { waiters.push(resolve) }) : Promise.resolve(request)
    }
  }
}

export function server (options: Partial<McpServerOptions> = {}): McpServer {
  return new McpServer({ name: 'test-server', version: '1.2.3', ...options })
}

let nextId = 1

export function request (method: string, params?: Record<string, unknown>, id: JSONRPCRequest['id'] = nextId++): JSONRPCRequest {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
}

/** Sends one request and returns the whole response (or undefined when there is none). */
export function send (
  mcp: McpServer, method: string, params?: Record<string, unknown>,
  session: ClientSession = makeSession(), channel?: RequestChannel
): Promise<JSONRPCResponse | undefined> {
  return mcp.handleRequest(request(method, params), session, channel)
}

/** The result of a successful response; fails the test on an error response. */
export function resultOf (response: JSONRPCResponse | undefined): Record<string, unknown> {
  assert.ok(response !== undefined, 'expected a response')
  assert.ok('result' in response, `expected a result, got ${JSON.stringify(response)}`)
  return response.result
}

/** The error of an error response; fails the test on a successful one. */
export function errorOf (response: JSONRPCResponse | undefined): JSONRPCErrorObject {
  assert.ok(response !== undefined, 'expected a response')
  assert.ok('error' in response, `expected an error, got ${JSON.stringify(response)}`)
  return response.error
}

/** Sends a request and returns its result. */
export async function call (
  mcp: McpServer, method: string, params?: Record<string, unknown>,
  session?: ClientSession, channel?: RequestChannel
): Promise<Record<string, unknown>> {
  return resultOf(await send(mcp, method, params, session, channel))
}

/** Sends a request and returns its error. */
export async function fail (
  mcp: McpServer, method: string, params?: Record<string, unknown>,
  session?: ClientSession, channel?: RequestChannel
): Promise<JSONRPCErrorObject> {
  return errorOf(await send(mcp, method, params, session, channel))
}

interface SafeParser {
  safeParse (value: unknown): { success: boolean, error?: unknown }
}

/** Checks `value` with a zod schema of the official SDK, the outside oracle. */
export function assertSdk (schema: SafeParser, value: unknown, what = 'value'): void {
  const parsed = schema.safeParse(value)
  assert.equal(parsed.success, true, `the SDK rejects ${what}: ${String(parsed.error)}\n${JSON.stringify(value)}`)
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush (rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Symbol-keyed members anywhere in `value` (TypeBox marks its schemas with some). */
export function symbolPaths (value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return []
  const found = Object.getOwnPropertySymbols(value).map((symbol) => `${path}/${String(symbol)}`)
  for (const [key, member] of Object.entries(value)) found.push(...symbolPaths(member, `${path}/${key}`))
  return found
}

/** Tracks whether a promise settled, without handling its outcome for the test. */
export function track<T> (promise: Promise<T>): { settled: () => boolean, promise: Promise<T> } {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  return { settled: () => settled, promise }
}

export function text (result: Record<string, unknown>): string {
  const content = result.content as Array<{ type: string, text?: string }>
  assert.ok(Array.isArray(content) && content.length > 0, 'expected content')
  assert.equal(content[0]!.type, 'text')
  return content[0]!.text!
}
