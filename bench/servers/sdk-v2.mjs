// Baseline of the 2026-07-28 benchmark (bench/modern.mjs): the official MCP TypeScript SDK v2
// server, `createMcpHandler` (@modelcontextprotocol/server), served on plain node:http as its
// serving guide says: `toNodeHandler` from @modelcontextprotocol/node, the localhost Host and
// Origin guards in front, bound to loopback. Default options (responseMode 'auto', 2025 traffic
// served statelessly), except `maxSubscriptions` (1,024 by default), raised so that the listen
// benchmark can hold its streams.
//
// The factory (run once per request, as the guide has it) registers the same tools as ours:
// - `echo` ({ text }, a zod schema), answered { content: [{ type: 'text', text }] };
// - `test_input_required_result_elicitation`: a Multi Round-Trip Request, the SDK way: without an
//   accepted `user_name` answer it returns `inputRequired(...)` with an elicitation under the key
//   `user_name` and a `requestState` sealed by the SDK's own codec (createRequestStateCodec:
//   HMAC-SHA256, bound to the method, verified by the server before the handler runs); with one
//   it answers "Hello, <name>!";
// - `bench_add_tool`: one more tool from then on, and `handler.notify.toolsChanged()`, so every
//   listen stream hears one `notifications/tools/list_changed`.
//
// Run by bench/modern.mjs with an IPC channel: the message 'stats' is answered with the
// process's memory (after a full GC when --expose-gc is on). bench/modern-inject.mjs imports
// `listener` (the node:http request listener, not listening).
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { localhostHostValidation, localhostOriginValidation, toNodeHandler } from '@modelcontextprotocol/node'
import { acceptedContent, createMcpHandler, createRequestStateCodec, inputRequired, McpServer } from '@modelcontextprotocol/server'
import { HOST, isMain, memoryStats } from '../common.mjs'

// The zod the SDK itself depends on (4.x; bench/'s own zod is 3.x, for SDK v1), as `zod/v4`, the
// import its guide uses.
const fromServer = createRequire(createRequire(import.meta.url).resolve('@modelcontextprotocol/server'))
const z = await import(pathToFileURL(path.join(path.dirname(fromServer.resolve('zod/package.json')), 'v4/index.js')).href)

const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
const stateCodec = createRequestStateCodec({
  key: randomBytes(32),
  bind: (ctx) => ctx.mcpReq.method
})

let added = 0

function factory () {
  const server = new McpServer(
    { name: 'mcp-fastify-bench', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } }, requestState: { verify: stateCodec.verify } }
  )
  server.registerTool(
    'echo',
    { description: 'Answers with the text it is given', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] })
  )
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks the user for their name, then greets them', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name')
      if (answer === undefined) {
        return inputRequired({
          inputRequests: { user_name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NAME_SCHEMA }) },
          requestState: await stateCodec.mint({ asked: 'user_name' }, ctx)
        })
      }
      return { content: [{ type: 'text', text: `Hello, ${answer.name}!` }] }
    }
  )
  server.registerTool(
    'bench_add_tool',
    { description: 'Registers one more tool: listen streams hear tools/list_changed', inputSchema: z.object({}) },
    async () => {
      added++
      handler.notify.toolsChanged()
      return { content: [{ type: 'text', text: `bench_tool_${added}` }] }
    }
  )
  for (let i = 1; i <= added; i++) {
    server.registerTool(`bench_tool_${i}`, { description: 'Added by bench_add_tool', inputSchema: z.object({}) }, async () => ({ content: [{ type: 'text', text: `bench_tool_${i}` }] }))
  }
  return server
}

const handler = createMcpHandler(factory, { maxSubscriptions: 100_000 })
const nodeHandler = toNodeHandler(handler)
const validateHost = localhostHostValidation()
const validateOrigin = localhostOriginValidation()

/** The node:http request listener, as the serving guide writes it. */
export function listener (req, res) {
  if (!validateHost(req, res) || !validateOrigin(req, res)) return
  nodeHandler(req, res).catch((error) => process.stderr.write(`${error.stack}\n`))
}

if (isMain(import.meta.url)) {
  process.on('message', (message) => {
    if (message === 'stats') process.send({ ...memoryStats(), listening: null })
  })
  // Open listen streams would keep a graceful close waiting: a baseline just exits.
  for (const signal of ['SIGINT', 'SIGTERM', 'disconnect']) process.once(signal, () => process.exit(0))
  createServer(listener).listen(Number(process.env.PORT ?? 3000), HOST)
}
