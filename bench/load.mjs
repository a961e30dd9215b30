// Load generator, run by bench/run.mjs in its own child process (never in a
// server's process). Sends `tools/call` of the echo tool with autocannon.
//
//   node bench/load.mjs '{"url":"http://127.0.0.1:3000/mcp","headers":{...}}'
//
// Options (JSON, first argument): url, headers, text ('hello'),
// connections (10), duration (10 s), warmup (2 s), pipelining (1).
// The result goes to the parent over IPC, or to stdout as JSON when run alone.
import autocannon from 'autocannon'

const options = {
  text: 'hello',
  connections: 10,
  duration: 10,
  warmup: 2,
  pipelining: 1,
  headers: {},
  ...JSON.parse(process.argv[2] ?? '{}')
}
if (!options.url) {
  process.stderr.write('load.mjs: missing url\n')
  process.exit(2)
}

// Every request gets its own JSON-RPC id: servers that track in-flight
// requests by id (the SDK does, per session) must not see duplicates.
let nextId = 1
const textJson = JSON.stringify(options.text)
function setupRequest (request) {
  request.body = `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"echo","arguments":{"text":${textJson}}}}`
  return request
}

// A 2xx answer that is a JSON-RPC error, or lacks the text, is a mismatch.
const expected = textJson
function verifyBody (body) {
  return body.includes(expected) && !body.includes('"error"')
}

// autocannon's latency histogram has a 1 ms resolution, too coarse on
// loopback: keep every 2xx response time (ms, from hrtime) for the percentiles.
function collector () {
  let samples = new Float64Array(1 << 16)
  let length = 0
  return {
    record (ms) {
      if (length === samples.length) {
        const grown = new Float64Array(samples.length * 2)
        grown.set(samples)
        samples = grown
      }
      samples[length++] = ms
    },
    stats () {
      const sorted = samples.subarray(0, length).sort()
      const at = (p) => length === 0 ? null : sorted[Math.min(length - 1, Math.ceil((p / 100) * length) - 1)]
      let sum = 0
      for (let i = 0; i < length; i++) sum += sorted[i]
      return { count: length, mean: length ? sum / length : null, p50: at(50), p90: at(90), p99: at(99), max: at(100) }
    }
  }
}

async function run (duration, latencies) {
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration,
    method: 'POST',
    headers: options.headers,
    requests: [{ setupRequest }],
    verifyBody
  })
  if (latencies) {
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime)
    })
  }
  const result = await instance
  return {
    duration: result.duration,
    totalRequests: result.requests.total,
    requestsPerSec: result.requests.mean,
    requestsPerSecStddev: result.requests.stddev,
    autocannonLatency: { mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    statusCodeStats: result.statusCodeStats
  }
}

const warmup = options.warmup > 0 ? await run(options.warmup) : null
const latencies = collector()
const measured = await run(options.duration, latencies)
const output = {
  options: { url: options.url, connections: options.connections, duration: options.duration, warmup: options.warmup, pipelining: options.pipelining },
  ...measured,
  latency: latencies.stats(),
  warmup
}

if (process.send) process.send(output, () => process.exit(0))
else process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
