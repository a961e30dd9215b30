// Benchmark: the cost of mcp-oauth. `tools/call` of an echo tool on two
// endpoints of ONE server process, measured one after the other in one run:
//   open      /open/mcp     mcp-session + mcp-transport, no auth
//   secured   /secured/mcp  the same, behind mcp-oauth (JWT verified with the
//                           issuer's JWKS, fetched over HTTP; keys and
//                           verified tokens cached: the default)
//   uncached  /uncached/mcp the same, token cache off (tokenCacheSize: 0):
//                           every request verifies the signature (shown for
//                           comparison, not part of the target)
// The issuer (RFC 8414 metadata + JWKS, an ES256 key) runs in this process;
// the server and the load generator (bench/load.mjs) in their own.
//
//   node bench/oauth.mjs [--rounds <n>] [--duration <s>] [--warmup <s>] [--connections <n>]
//
// The endpoints are measured in turn, `rounds` times (open, secured, uncached,
// open, ...), so a noisy machine weighs on all alike; each ratio is taken
// within a round and the median is reported. Prints a markdown table with
// req/s, p50, p99 (medians over the rounds) and the ratio secured/open
// (target: >= 0.8). Needs `pnpm run build` (it loads packages/*/dist).
import { fork, spawn } from 'node:child_process'
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { createServer } from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { benchDir, environment, freePort, HOST, root, stop, track, waitForPort } from './common.mjs'

const PROTOCOL_VERSION = '2025-11-25'
const ACCEPT = 'application/json, text/event-stream'
const TEXT = 'hello'
const ENDPOINTS = ['open', 'secured', 'uncached']

// ---- the server (run as `node bench/oauth.mjs serve`) ----------------------

async function serve () {
  const { default: Fastify } = await import('fastify')
  const { default: mcpSession } = await import('@mcp-fastify/mcp-session')
  const { default: mcpTransport } = await import('@mcp-fastify/mcp-transport')
  // The bench package does not depend on mcp-oauth: its build is loaded by path.
  const { default: mcpOAuth } = await import(pathToFileURL(path.join(root, 'packages/mcp-oauth/dist/index.js')).href)
  const port = Number(process.env.PORT)
  const issuer = process.env.ISSUER
  const app = Fastify({ logger: false })
  for (const name of ENDPOINTS) {
    await app.register(async (scope) => {
      if (name !== 'open') {
        await scope.register(mcpOAuth, { issuer, resource: `http://${HOST}:${port}`, tokenCacheSize: name === 'secured' ? 1000 : 0 })
      }
      await scope.register(mcpSession)
      await scope.register(mcpTransport, { path: '/mcp' })
      scope.mcp.tool({
        name: 'echo',
        description: 'Echoes its text',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        handler: ({ text }) => ({ content: [{ type: 'text', text }] })
      })
    }, { prefix: `/${name}` })
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
  }
  await app.listen({ port, host: HOST })
}

// ---- the issuer (in this process) -------------------------------------------

function startIssuer () {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = randomUUID()
  const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }
  const hits = { metadata: 0, jwks: 0 }
  const server = createServer((request, response) => {
    const json = (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (request.url === '/.well-known/oauth-authorization-server') {
      hits.metadata++
      return json({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, authorization_endpoint: `${issuer}/authorize` })
    }
    if (request.url === '/jwks') {
      hits.jwks++
      return json(jwks)
    }
    response.writeHead(404).end()
  })
  let issuer
  return new Promise((resolve) => server.listen(0, HOST, () => {
    issuer = `http://${HOST}:${server.address().port}`
    const token = (audience) => {
      const now = Math.floor(Date.now() / 1000)
      const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid })}.${b64({ iss: issuer, sub: 'bench-user', aud: audience, iat: now, exp: now + 3600, scope: 'mcp', client_id: 'bench' })}`
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
    }
    resolve({ issuer, token, hits, close: () => server.close() })
  }))
}

// ---- the run (patterns of bench/run.mjs) -------------------------------------

function die (message) {
  process.stderr.write(`bench/oauth: ${message}\n`)
  process.exit(2)
}

function parseCli () {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10' }
    }
  })
  const number = (name, min) => {
    const value = Number(values[name])
    if (!Number.isFinite(value) || value < min) die(`--${name} must be a number >= ${min}`)
    return value
  }
  return { rounds: number('rounds', 1), duration: number('duration', 1), warmup: number('warmup', 0), connections: number('connections', 1) }
}

async function post (url, headers, message) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(message) })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** Handshake, then one real call that must echo: the headers the load generator sends. */
async function prepare (url, token) {
  const auth = token === undefined ? {} : { authorization: `Bearer ${token}` }
  if (token !== undefined) {
    const refused = await post(url, {}, { jsonrpc: '2.0', id: 0, method: 'ping' })
    if (refused.status !== 401) throw new Error(`${url}: expected 401 without a token, got ${refused.status}`)
  }
  const init = await post(url, auth, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${init.text.slice(0, 300)}`)
  const headers = { ...auth, 'mcp-protocol-version': PROTOCOL_VERSION, 'mcp-session-id': init.headers.get('mcp-session-id') }
  await post(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })
  const call = await post(url, headers, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: TEXT } } })
  if (call.status !== 200 || !call.text.includes(`"text":"${TEXT}"`)) throw new Error(`tools/call: HTTP ${call.status} ${call.text.slice(0, 300)}`)
  return headers
}

function runLoad (config) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(benchDir, 'load.mjs'), [JSON.stringify(config)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result
    child.on('message', (message) => { result = message })
    child.on('error', reject)
    child.on('close', (code) => result ? resolve(result) : reject(new Error(`load generator exited without a result (code ${code})`)))
  })
}

async function main () {
  const config = parseCli()
  const env = environment()
  const issuer = await startIssuer()
  const port = await freePort()
  const server = track(spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ISSUER: issuer.issuer },
    stdio: ['ignore', 'inherit', 'inherit']
  }))
  const rounds = []
  const problems = []
  try {
    await waitForPort(port, server)
    const headers = {}
    for (const name of ENDPOINTS) {
      const url = `http://${HOST}:${port}/${name}/mcp`
      headers[name] = await prepare(url, name === 'open' ? undefined : issuer.token(url))
    }
    for (let round = 1; round <= config.rounds; round++) {
      const results = {}
      for (const name of ENDPOINTS) {
        process.stderr.write(`bench/oauth: round ${round}/${config.rounds}, ${name}: warm-up ${config.warmup} s, measuring ${config.duration} s, ${config.connections} connections\n`)
        const url = `http://${HOST}:${port}/${name}/mcp`
        const { rounds: _rounds, ...load } = config
        results[name] = await runLoad({ url, text: TEXT, headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers[name] }, ...load, pipelining: 1 })
        const result = results[name]
        if (result.non2xx > 0 || result.errors > 0 || result.mismatches > 0) {
          problems.push(`${name}, round ${round}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.mismatches} wrong bodies`)
        }
      }
      rounds.push(results)
    }
  } finally {
    await stop(server)
    issuer.close()
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const middle = Math.floor(sorted.length / 2)
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
  const of = (name, pick) => median(rounds.map((round) => pick(round[name])))
  const ratio = (name) => median(rounds.map((round) => round[name].requestsPerSec / round.open.requestsPerSec))
  const fixed = (value, digits) => value == null ? 'n/a' : value.toFixed(digits)
  const lines = [
    '# mcp-oauth benchmark',
    '',
    `\`tools/call\` of an echo tool, JSON answers, protocol ${PROTOCOL_VERSION}, one server process, loopback; ${config.connections} connections; ${config.rounds} rounds of ${config.warmup} s warm-up + ${config.duration} s measured per endpoint, endpoints in turn. Medians over the rounds; ratios within each round.`,
    '',
    '| endpoint | req/s | p50 (ms) | p99 (ms) | vs open | per round |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...ENDPOINTS.map((name) => `| ${name} | ${fixed(of(name, (r) => r.requestsPerSec), 0)} | ${fixed(of(name, (r) => r.latency.p50), 3)} | ${fixed(of(name, (r) => r.latency.p99), 3)} | ${ratio(name).toFixed(2)} | ${rounds.map((round) => (round[name].requestsPerSec / round.open.requestsPerSec).toFixed(2)).join(', ')} |`),
    '',
    `JWKS fetched ${issuer.hits.jwks} time(s), metadata ${issuer.hits.metadata} time(s) for the whole run (two protected endpoints).`,
    `Ratio secured / open: **${ratio('secured').toFixed(2)}** (target >= 0.8).${problems.length === 0 ? '' : ` INVALID: ${problems.join('; ')}`}`,
    `- node ${env.node}; cpu: ${env.cpu}, ${env.cores} cores (server and load generator share them)`,
    ''
  ]
  process.stdout.write(lines.join('\n'))
  if (problems.length > 0) process.exitCode = 1
}

if (process.argv[2] === 'serve') await serve()
else await main()
