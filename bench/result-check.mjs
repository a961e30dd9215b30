#!/usr/bin/env node
// What checking a handler's result against its method's schema costs (issue 9: "what user code
// returns is checked ... measure the cost of the result check"), in one process: the engine
// answering tools/call of an echo tool (McpServer.handleRequest, no HTTP), and the result check
// alone on the same result, interleaved in rounds so the machine's drift hits both alike.
//
//   node bench/result-check.mjs [--rounds 5] [--calls 200000]
import { parseArgs } from 'node:util'
import { compile, McpServer, serverResults, statelessSession } from '@mcp-fastify/mcp-protocol'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '200000' } } })
const rounds = Number(values.rounds)
const calls = Number(values.calls)

const server = new McpServer({ name: 'bench', version: '1.0.0' })
server.tool({ name: 'echo', description: 'Echoes', handler: ({ text }) => ({ content: [{ type: 'text', text: String(text) }] }) })
const session = statelessSession('2025-11-25')
const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }
const check = compile(serverResults['tools/call'])
const result = { content: [{ type: 'text', text: 'hi' }] }

async function engine () {
  const started = process.cpuUsage()
  for (let i = 0; i < calls; i++) await server.handleRequest(request, session)
  const used = process.cpuUsage(started)
  return (used.user + used.system) * 1000 / calls
}

function checkAlone () {
  const started = process.hrtime.bigint()
  let ok = 0
  for (let i = 0; i < calls; i++) if (check.check(result)) ok++
  if (ok !== calls) throw new Error('the result did not pass its check')
  return Number(process.hrtime.bigint() - started) / calls
}

const rows = []
for (let round = 0; round < rounds; round++) rows.push({ engine: await engine(), check: checkAlone() })
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const engineNs = median(rows.map((row) => row.engine))
const checkNs = median(rows.map((row) => row.check))
console.log(`rounds: ${rows.map((row) => `engine ${(row.engine / 1000).toFixed(2)} us, check ${row.check.toFixed(0)} ns`).join('; ')}`)
console.log(`median: the engine answers tools/call in ${(engineNs / 1000).toFixed(2)} us of CPU; the result check is ${checkNs.toFixed(0)} ns of it (${(checkNs / engineNs * 100).toFixed(1)} %)`)
console.log(`node ${process.version}, ${calls} calls a round, ${rounds} rounds, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`)
