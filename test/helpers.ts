import type { TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { ClientCapabilities, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { FastifyInstance } from 'fastify'

/** What the SDK clients of these tests declare unless told otherwise. */
export const ALL_CAPABILITIES: ClientCapabilities = { sampling: {}, elicitation: {}, roots: { listChanged: true } }

/** An app listening on an ephemeral loopback port, and the SDK clients connected to it. */
export interface Served {
  app: FastifyInstance
  /** `http://127.0.0.1:<port>` */
  base: string
  /** `<base>/mcp` */
  url: URL
  /** Tracks a client so it is closed (before the app) when the test ends. */
  track<T extends Client> (client: T): T
}

/**
 * Listens on `127.0.0.1:0`. When the test ends, every tracked client is closed first, then the
 * app (one hook, so the order does not depend on how `t.after` hooks are run).
 */
export async function serve (t: TestContext, app: FastifyInstance, path = '/mcp'): Promise<Served> {
  const clients: Client[] = []
  t.after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()))
    await app.close()
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the app does not listen on a TCP port')
  const base = `http://127.0.0.1:${address.port}`
  return {
    app,
    base,
    url: new URL(path, base),
    track (client) {
      clients.push(client)
      return client
    }
  }
}

export interface ConnectOptions {
  capabilities?: ClientCapabilities
  name?: string
  /** Called on the client before it connects: request and notification handlers go here. */
  setup?: (client: Client) => void
  /**
   * The protocol version the client asks for in `initialize`. The SDK client has no option for
   * it (it always asks for its latest), so the transport's outgoing `initialize` is rewritten.
   */
  protocolVersion?: string
}

/** An SDK client over Streamable HTTP, connected (initialized). */
export async function connectStreamable (served: Served, options: ConnectOptions = {}): Promise<Connected<StreamableHTTPClientTransport>> {
  return connectClient(served, new StreamableHTTPClientTransport(served.url), options)
}

/** An SDK client over the deprecated HTTP+SSE transport, connected (initialized). */
export async function connectLegacy (served: Served, options: ConnectOptions = {}, ssePath = '/sse'): Promise<Connected<SSEClientTransport>> {
  return connectClient(served, new SSEClientTransport(new URL(ssePath, served.base)), options)
}

export interface Connected<T extends Transport> {
  client: Client
  transport: T
  /** Every message the transport received, in arrival order, before the SDK dispatched it. */
  wire: JSONRPCMessage[]
}

async function connectClient<T extends Transport> (served: Served, transport: T, options: ConnectOptions): Promise<Connected<T>> {
  const client = served.track(new Client(
    { name: options.name ?? 'e2e-test-client', version: '1.0.0' },
    { capabilities: options.capabilities ?? ALL_CAPABILITIES }
  ))
  options.setup?.(client)
  if (options.protocolVersion !== undefined) askForVersion(transport, options.protocolVersion)
  // Protocol.connect() calls an `onmessage` set before it, ahead of its own dispatch.
  const wire: JSONRPCMessage[] = []
  transport.onmessage = (message) => { wire.push(message) }
  await withTimeout(client.connect(transport), 5000, 'client.connect')
  return { client, transport, wire }
}

/** Makes the `initialize` request sent on `transport` ask for `version`. */
function askForVersion (transport: Transport, version: string): void {
  const send = transport.send.bind(transport)
  transport.send = (message: JSONRPCMessage, options) => {
    if ('method' in message && message.method === 'initialize' && message.params !== undefined) {
      message = { ...message, params: { ...message.params, protocolVersion: version } }
    }
    return send(message, options)
  }
}

/** Rejects when `promise` does not settle within `ms`. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `condition` until it holds; rejects after `ms`. */
export async function waitFor (condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The text of the one text block of a tool result. */
export function textOf (result: object): string {
  const content = (result as { content?: unknown }).content as Array<{ type: string, text?: string }> | undefined
  if (!Array.isArray(content) || content.length !== 1 || content[0]?.type !== 'text' || typeof content[0].text !== 'string') {
    throw new Error(`expected one text block, got ${JSON.stringify(result)}`)
  }
  return content[0].text
}
