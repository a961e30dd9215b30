import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import mcpTransport, { type McpTransportOptions } from '@mcp-fastify/mcp-transport'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import mcpMetrics, { type McpMetricsOptions } from '../src/index.ts'

export interface BuildOptions {
  metrics?: McpMetricsOptions
  /** mcp-session's options; `false`: a stateless endpoint. */
  sessions?: McpSessionOptions | false
  transport?: McpTransportOptions
  declare?: (mcp: McpServer) => void
  /** Register mcp-metrics after the MCP plugins instead of before. */
  metricsLast?: boolean
  /** Runs before the plugins are registered (test hooks). */
  before?: (app: FastifyInstance) => void | Promise<void>
  fastify?: FastifyServerOptions
}

/** An app as a user composes it: mcp-metrics, mcp-session, mcp-transport; closed when the test ends. */
export async function buildApp (t: TestContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(options.fastify)
  t.after(() => app.close())
  await options.before?.(app)
  if (options.metricsLast !== true) await app.register(mcpMetrics, options.metrics ?? {})
  if (options.sessions !== false) await app.register(mcpSession, options.sessions ?? {})
  await app.register(mcpTransport, options.transport ?? {})
  if (options.metricsLast === true) await app.register(mcpMetrics, options.metrics ?? {})
  options.declare?.(app.mcp)
  await app.ready()
  return app
}

/** What most tests call: a tool that answers, one that reports an error, a resource that fails. */
export function declareTools (mcp: McpServer): void {
  mcp.tool({ name: 'echo', handler: (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }) })
  mcp.tool({ name: 'fails', handler: () => ({ content: [{ type: 'text', text: 'no luck' }], isError: true }) })
  mcp.resource({ uri: 'test://broken/7f3a', name: 'broken', read: () => { throw new Error('boom') } })
}

export const JSON_AND_SSE = 'application/json, text/event-stream'

export function rpc (id: number | string, method: string, params?: Record<string, unknown>): object {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
}

export function callTool (id: number | string, name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>): object {
  return rpc(id, 'tools/call', meta === undefined ? { name, arguments: args } : { name, arguments: args, _meta: meta })
}

export function post (app: FastifyInstance, body: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

/** Initializes a session; returns its id and the headers later requests carry. */
export async function initialize (app: FastifyInstance, protocolVersion = '2025-11-25'): Promise<{ sessionId: string, headers: Record<string, string> }> {
  const response = await post(app, rpc(0, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'test-client', version: '1.0.0' } }))
  const sessionId = response.headers['mcp-session-id']
  if (response.statusCode !== 200 || typeof sessionId !== 'string') throw new Error(`initialize failed: ${response.statusCode} ${response.body}`)
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion }
  const initialized = await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)
  if (initialized.statusCode !== 202) throw new Error(`notifications/initialized failed: ${initialized.statusCode}`)
  return { sessionId, headers }
}

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** Reads an exposition in the Prometheus text format into its samples. */
export function parseExposition (text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const found = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(found !== null, `not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (found[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_all, char: string) => char === 'n' ? '\n' : char)
    }
    samples.push({ name: found[1]!, labels, value: Number(found[3]) })
  }
  return samples
}

/** What `GET /metrics` answers, read. */
export async function scrape (app: FastifyInstance, url = '/metrics'): Promise<Exposition> {
  const response = await app.inject({ method: 'GET', url })
  assert.equal(response.statusCode, 200, response.body)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return new Exposition(response.body)
}

export class Exposition {
  readonly text: string
  readonly samples: Sample[]

  constructor (text: string) {
    this.text = text
    this.samples = parseExposition(text)
  }

  /** The samples of `name` whose labels are exactly `labels` (`le` aside for buckets). */
  series (name: string): Sample[] {
    return this.samples.filter((sample) => sample.name === name)
  }

  /** The value of the one sample of `name` with exactly these labels; `undefined` when there is none. */
  value (name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.series(name).filter((sample) => sameLabels(sample.labels, labels))
    assert.ok(found.length <= 1, `several samples of ${name} ${JSON.stringify(labels)}`)
    return found[0]?.value
  }

  /** The label sets of `name`'s samples, sorted, as `k=v,k=v` strings (to assert all of them at once). */
  labelSets (name: string): string[] {
    return this.series(name).map((sample) => Object.entries(sample.labels).sort().map(([k, v]) => `${k}=${v}`).join(',')).sort()
  }
}

function sameLabels (actual: Record<string, string>, expected: Record<string, string>): boolean {
  const keys = Object.keys(actual)
  return keys.length === Object.keys(expected).length && keys.every((key) => actual[key] === expected[key])
}

export async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
}

export function deferred<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((_resolve) => { resolve = _resolve })
  return { promise, resolve }
}
