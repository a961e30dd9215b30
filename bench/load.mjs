// Load generator, run by bench/run.mjs (and bench/modern.mjs, bench/metrics.mjs, bench/oauth.mjs)
// in its own child process (never in a server's process). Sends `tools/call` of the echo tool
// with autocannon, or (scenario 'mrtr') a Multi Round-Trip Request: the call, then its retry.
//
//   node bench/load.mjs '{"url":"http://127.0.0.1:3000/mcp","headers":{...}}'
//
// Options (JSON, first argument): url, headers, text ('hello'),
// connections (10), duration (10 s), warmup (2 s), pipelining (1),
// meta (a 2026-07-28 `_meta` envelope put in every request's params; none by default),
// expect (a string every 2xx body must also contain, e.g. '"resultType":"complete"'),
// scenario ('echo' by default, or 'mrtr': see below).
// The result goes to the parent over IPC, or to stdout as JSON when run alone.
//
// Scenario 'mrtr' (2026-07-28): each connection, in a loop, calls `mrtr.tool` (no arguments), whose
// answer must be `input_required` with a `requestState`, then retries the same call with a new
// id, `inputResponses: { [mrtr.key]: mrtr.answer }` and the `requestState` echoed, whose answer
// must be complete and contain `mrtr.expect`. Each connection waits for each answer (pipelining
// 1): the round trip is measured from the first request written to the retry's answer read.
import autocannon from 'autocannon'

const options = {
  text: 'hello',
  connections: 10,
  duration: 10,
  warmup: 2,
  pipelining: 1,
  headers: {},
  meta: null,
  expect: null,
  scenario: 'echo',
  mrtr: null,
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
const metaJson = options.meta === null ? '' : `,"_meta":${JSON.stringify(options.meta)}`
function setupRequest (request) {
  request.body = `{"jsonrpc":"2.0","id":${nextId++},"method":"tools/call","params":{"name":"echo","arguments":{"text":${textJson}}${metaJson}}}`
  return request
}

// A 2xx answer that is a JSON-RPC error, or lacks the text (or `expect`), is a mismatch.
const expected = textJson
function verifyBody (body) {
  return body.includes(expected) && !body.includes('"error"') && (options.expect === null || body.includes(options.expect))
}

// ---- scenario 'mrtr' ----------------------------------------------------------------

// Answers that are not what the round expects (counted here: autocannon's verifyBody sees one shape).
let mrtrMismatches = 0
let mrtrSample = null
function mrtrMismatch (body) {
  mrtrMismatches++
  mrtrSample ??= String(body).slice(0, 300)
}
const STATE = /"requestState":("(?:[^"\\]|\\.)*")/
function mrtrRequests () {
  const { tool, key, answer } = options.mrtr
  const head = `"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{}`
  const responses = `,"inputResponses":${JSON.stringify({ [key]: answer })}`
  return [{
    setupRequest (request) {
      request.body = `{"jsonrpc":"2.0","id":${nextId++},${head}${metaJson}}}`
      return request
    },
    onResponse (status, body, context) {
      const state = STATE.exec(body)
      context.state = state === null ? null : state[1]
      if (status !== 200 || state === null || !body.includes('"resultType":"input_required"')) mrtrMismatch(body)
    }
  }, {
    setupRequest (request, context) {
      const state = context.state === null ? '' : `,"requestState":${context.state}`
      request.body = `{"jsonrpc":"2.0","id":${nextId++},${head}${responses}${state}${metaJson}}}`
      return request
    },
    onResponse (status, body) {
      if (status !== 200 || !body.includes('"resultType":"complete"') || !body.includes(options.mrtr.expect)) mrtrMismatch(body)
    }
  }]
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

async function run (duration, latencies, roundTrips) {
  const mrtr = options.scenario === 'mrtr'
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: mrtr ? 1 : options.pipelining,
    duration,
    method: 'POST',
    headers: options.headers,
    requests: mrtr ? mrtrRequests() : [{ setupRequest }],
    ...(mrtr ? {} : { verifyBody })
  })
  if (latencies) {
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTime)
    })
  }
  if (roundTrips) {
    // Per connection the answers alternate: the first call's, then the retry's. The round trip
    // starts when the first call was written (its answer's time minus its response time).
    const started = new Map()
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      const now = performance.now()
      const start = started.get(client)
      if (start === undefined) {
        started.set(client, now - responseTime)
      } else {
        started.delete(client)
        roundTrips.record(now - start)
      }
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
    mismatches: result.mismatches + mrtrMismatches,
    mismatchSample: mrtrSample,
    statusCodeStats: result.statusCodeStats
  }
}

const warmup = options.warmup > 0 ? await run(options.warmup) : null
mrtrMismatches = 0
const latencies = collector()
const roundTrips = options.scenario === 'mrtr' ? collector() : null
const measured = await run(options.duration, latencies, roundTrips)
const output = {
  options: { url: options.url, connections: options.connections, duration: options.duration, warmup: options.warmup, pipelining: options.pipelining, scenario: options.scenario },
  ...measured,
  latency: latencies.stats(),
  ...(roundTrips && { roundTrip: roundTrips.stats(), roundTripsPerSec: roundTrips.stats().count / measured.duration }),
  warmup
}

if (process.send) process.send(output, () => process.exit(0))
else process.stdout.write(`${JSON.stringify(output, null, 2)}\n`)
