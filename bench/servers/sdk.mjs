// Baseline: the official MCP TypeScript SDK on node:http, following its
// documented Streamable HTTP patterns, with JSON answers (enableJsonResponse).
//
//   node bench/servers/sdk.mjs stateful    one McpServer + transport per session,
//                                          kept in a session id -> transport map
//   node bench/servers/sdk.mjs stateless   a new McpServer + transport per request
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'

const mode = process.argv[2]
if (mode !== 'stateful' && mode !== 'stateless') {
  process.stderr.write('usage: node bench/servers/sdk.mjs stateful|stateless\n')
  process.exit(2)
}

function createMcpServer () {
  const server = new McpServer({ name: 'bench-sdk', version: '1.0.0' })
  server.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] })
  )
  return server
}

function sendJsonRpcError (res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}

// node:http has no body parser: read and parse the JSON body, then hand it to
// the transport as the parsed body (what express.json() does in the SDK docs).
async function readJson (req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const transports = new Map()

async function handleStateful (req, res) {
  const sessionId = req.headers['mcp-session-id']
  if (req.method === 'POST') {
    let body
    try {
      body = await readJson(req)
    } catch {
      return sendJsonRpcError(res, 400, -32700, 'Parse error')
    }
    let transport = sessionId ? transports.get(sessionId) : undefined
    if (!transport) {
      if (sessionId || !isInitializeRequest(body)) {
        return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided')
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: true,
        onsessioninitialized: (id) => { transports.set(id, transport) }
      })
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId)
      }
      await createMcpServer().connect(transport)
    }
    return transport.handleRequest(req, res, body)
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    const transport = sessionId ? transports.get(sessionId) : undefined
    if (!transport) return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided')
    return transport.handleRequest(req, res)
  }
  return sendJsonRpcError(res, 405, -32000, 'Method not allowed.')
}

async function handleStateless (req, res) {
  if (req.method !== 'POST') return sendJsonRpcError(res, 405, -32000, 'Method not allowed.')
  let body
  try {
    body = await readJson(req)
  } catch {
    return sendJsonRpcError(res, 400, -32700, 'Parse error')
  }
  const server = createMcpServer()
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true
  })
  res.on('close', () => {
    transport.close()
    server.close()
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, body)
}

const handle = mode === 'stateful' ? handleStateful : handleStateless

const httpServer = http.createServer((req, res) => {
  if (req.url.split('?')[0] !== '/mcp') {
    res.writeHead(404).end()
    return
  }
  handle(req, res).catch((err) => {
    process.stderr.write(`${err.stack}\n`)
    if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal server error')
    else res.end()
  })
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(0))
}

httpServer.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
