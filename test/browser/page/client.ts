// What the test page runs in Chromium: the official MCP SDK client (v1), bundled by esbuild. The
// test calls these functions with page.evaluate; each answers with plain data, or with the error
// the browser gave, so the test can tell a refusal from a failure.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser-page', version: '1.0.0' } }
}

export interface SessionResult {
  /** `Mcp-Session-Id` as the SDK read it from the initialize answer (unset when the header is hidden). */
  sessionId: string | undefined
  protocolVersion: string | undefined
  tools: string[]
  /** The text of the tool's answer. */
  called: string
  /** Whether the session could be ended (a DELETE, which needs CORS to allow that method). */
  terminated: boolean
}

/** Initializes with the SDK client, lists the tools, calls one, ends the session. */
async function session (url: string, tool: string, args: Record<string, unknown>, token?: string): Promise<SessionResult> {
  const transport = new StreamableHTTPClientTransport(new URL(url), token === undefined ? undefined : { requestInit: { headers: { authorization: `Bearer ${token}` } } })
  const client = new Client({ name: 'browser-page', version: '1.0.0' })
  await client.connect(transport)
  try {
    const sessionId = transport.sessionId
    const { tools } = await client.listTools()
    const result = await client.callTool({ name: tool, arguments: args })
    const content = result.content as Array<{ type: string, text?: string }>
    let terminated = false
    try {
      await transport.terminateSession()
      terminated = true
    } catch {}
    return { sessionId, protocolVersion: transport.protocolVersion, tools: tools.map(({ name }) => name), called: content.map(({ text }) => text ?? '').join(''), terminated }
  } finally {
    await client.close()
  }
}

export interface RawAnswer {
  status: number
  /** Each header as the page's script can read it: null when the browser hides it. */
  headers: Record<string, string | null>
  body: unknown
}

/** An initialize with fetch itself, to see which headers a script on this page may read. */
async function initialize (url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(INITIALIZE)
  })
  const text = await response.text()
  const read = ['mcp-session-id', 'www-authenticate', 'content-type']
  return {
    status: response.status,
    headers: Object.fromEntries(read.map((name) => [name, response.headers.get(name)])),
    body: text === '' ? undefined : text.startsWith('{') ? JSON.parse(text) : text
  }
}

/** A GET of JSON (protected resource metadata, say) from another origin. */
async function getJson (url: string): Promise<unknown> {
  const response = await fetch(url)
  return await response.json()
}

/**
 * A POST that a page may send to any origin without asking first (a CORS "simple request":
 * text/plain, no custom header), in no-cors mode: the script learns nothing of the answer, but
 * the server sees the request, which is what the transport's Origin check is for.
 */
async function simplePost (url: string): Promise<void> {
  await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(INITIALIZE) })
}

/** `fn`'s result, or the error it threw as text (page.evaluate carries data, not Error objects). */
async function settle<T> (fn: () => Promise<T>): Promise<{ ok: true, value: T } | { ok: false, error: string }> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}

const api = {
  session: (url: string, tool: string, args: Record<string, unknown>, token?: string) => settle(() => session(url, tool, args, token)),
  initialize: (url: string, headers?: Record<string, string>) => settle(() => initialize(url, headers)),
  getJson: (url: string) => settle(() => getJson(url)),
  simplePost: (url: string) => settle(() => simplePost(url))
}

export type PageApi = typeof api

declare global {
  interface Window { mcp: PageApi }
}

window.mcp = api
document.title = 'ready'
