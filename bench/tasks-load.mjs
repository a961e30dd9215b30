// Load generator of bench/tasks.mjs, in its own child process: autocannon sending one kind of
// 2026-07-28 request (its `_meta` envelope declares the tasks extension, its headers mirror it),
// each with a fresh JSON-RPC id, and checking every answer:
//
//   direct   tools/call of `echo`: the answer is complete and echoes the text (the baseline)
//   create   tools/call of `instant`: the answer is a task (`resultType: 'task'`)
//   poll     tasks/get of `taskId` (created before, completed): the answer says `completed`
//
//   node bench/tasks-load.mjs '{"url":"...","scenario":"create","connections":10,"duration":5,"warmup":2}'
//
// The figures go to the parent over IPC, or to stdout as JSON when run alone.
import autocannon from 'autocannon'

const options = { connections: 10, duration: 5, warmup: 2, taskId: null, ...JSON.parse(process.argv[2] ?? '{}') }
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } }
const SCENARIOS = {
  direct: { method: 'tools/call', name: 'echo', params: { name: 'echo', arguments: { text: 'hello' } }, expect: '"text":"hello"' },
  create: { method: 'tools/call', name: 'instant', params: { name: 'instant', arguments: {} }, expect: '"resultType":"task"' },
  poll: { method: 'tasks/get', name: options.taskId, params: { taskId: options.taskId }, expect: '"status":"completed"' }
}
const scenario = SCENARIOS[options.scenario]
if (options.url === undefined || scenario === undefined) {
  process.stderr.write('tasks-load.mjs: needs url and scenario (direct, create, poll)\n')
  process.exit(2)
}

let nextId = 1
const params = JSON.stringify({ ...scenario.params, _meta: META })
const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': scenario.method,
  'mcp-name': scenario.name
}

async function run (duration) {
  const latencies = []
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration,
    method: 'POST',
    headers,
    requests: [{
      setupRequest (request) {
        request.body = `{"jsonrpc":"2.0","id":${nextId++},"method":"${scenario.method}","params":${params}}`
        return request
      }
    }],
    verifyBody: (body) => body.includes(scenario.expect) && !body.includes('"error"')
  })
  instance.on('response', (client, statusCode, bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
  })
  const result = await instance
  latencies.sort((a, b) => a - b)
  const at = (p) => latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]
  return {
    duration: result.duration,
    totalRequests: result.requests.total,
    requestsPerSec: result.requests.mean,
    p50: at(0.5),
    p99: at(0.99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches
  }
}

const warmup = options.warmup > 0 ? await run(options.warmup) : null
const output = { scenario: options.scenario, ...await run(options.duration), warmup }
if (process.send) process.send(output, () => process.exit(0))
else process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
