// Benchmark of tasks (the MCP tasks extension, 2026-07-28): how many tasks a node creates and how
// many polls (`tasks/get`) it answers per second, with tasks in memory and in Redis, against a
// baseline measured in the same run on the same server: a direct `tools/call` (no task).
//
//   node bench/tasks.mjs [--rounds <n>] [--duration <s>] [--warmup <s>] [--connections <n>] [--only memory,redis]
//
//   direct   tools/call of `echo`, answered at once: the baseline
//   create   tools/call of `instant`, a tool that always runs as a task: answered with the task
//            once it is stored (durable creation); the task then completes at once
//   poll     tasks/get of a completed task
//
// Each server (bench/servers/tasks.mjs) runs in its own child process, the load generator
// (bench/tasks-load.mjs, autocannon) in another; with taskset, the server on core 1 and the load on
// core 0. Each round measures every target and scenario, the order of the targets rotating from
// round to round; every round is reported, and the medians. Redis is REDIS_URL (default
// redis://127.0.0.1:6379), its keys under a prefix of the run's own (they expire within two
// minutes). Needs `pnpm run build`.
import { randomBytes } from 'node:crypto'
import { fork } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { alive, benchDir, cpuMs, environment, freePort, HOST, keepOutput, median, packageVersion, pinnedFork, root, stop, track, waitForPort } from './common.mjs'

const TARGETS = [
  { name: 'memory', about: 'mcp-transport alone: tasks in the server\'s memory (one process)' },
  { name: 'redis', about: 'mcp-session on Redis: tasks in Redis, readable by every node (RedisTaskStore)' }
]
const SCENARIOS = ['direct', 'create', 'poll']
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } }

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string', default: TARGETS.map((target) => target.name).join(',') }
  }
})
const config = {
  rounds: Number(values.rounds),
  duration: Number(values.duration),
  warmup: Number(values.warmup),
  connections: Number(values.connections),
  targets: TARGETS.filter((target) => values.only.split(',').includes(target.name))
}
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const keyPrefix = `bench:tasks:${randomBytes(4).toString('hex')}:`

function startServer (target, port) {
  return keepOutput(track(fork(path.join(benchDir, 'servers', 'tasks.mjs'), [target.name], {
    cwd: root,
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, KEY_PREFIX: keyPrefix },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...pinnedFork(1)
  })))
}

function runLoad (options) {
  return new Promise((resolve, reject) => {
    const child = track(fork(path.join(benchDir, 'tasks-load.mjs'), [JSON.stringify(options)], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...pinnedFork(0)
    }))
    let result
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.warmup + options.duration + 60) * 1000)
    child.on('message', (message) => { result = message })
    child.on('error', (error) => { clearTimeout(timer); reject(error) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (result) resolve(result)
      else reject(new Error(`load generator exited without a result (code ${code}, signal ${signal})`))
    })
  })
}

async function rpc (url, method, params) {
  const name = method === 'tools/call' ? params.name : params.taskId
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, 'mcp-name': name },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: META } })
  })
  const body = await response.json()
  if (response.status !== 200 || body.result === undefined) throw new Error(`${method}: HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`)
  return body.result
}

/** One real call of each kind, and the completed task the poll scenario reads. */
async function prepare (url) {
  const echoed = await rpc(url, 'tools/call', { name: 'echo', arguments: { text: 'hello' } })
  if (echoed.content?.[0]?.text !== 'hello') throw new Error(`echo: ${JSON.stringify(echoed)}`)
  const created = await rpc(url, 'tools/call', { name: 'instant', arguments: {} })
  if (created.resultType !== 'task') throw new Error(`instant: not a task: ${JSON.stringify(created)}`)
  for (let i = 0; i < 100; i++) {
    const task = await rpc(url, 'tasks/get', { taskId: created.taskId })
    if (task.status === 'completed') return created.taskId
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the first task did not complete')
}

async function measure (target) {
  const port = await freePort()
  const url = `http://${HOST}:${port}/mcp`
  const server = startServer(target, port)
  try {
    await waitForPort(port, server)
    const taskId = await prepare(url)
    const figures = {}
    for (const scenario of SCENARIOS) {
      const before = cpuMs(server.pid)
      const load = await runLoad({ url, scenario, taskId, connections: config.connections, duration: config.duration, warmup: config.warmup })
      const after = cpuMs(server.pid)
      const served = load.totalRequests + (load.warmup?.totalRequests ?? 0)
      const problems = []
      if (load.non2xx > 0) problems.push(`${load.non2xx} non-2xx`)
      if (load.errors > 0 || load.timeouts > 0) problems.push(`${load.errors} errors, ${load.timeouts} timeouts`)
      if (load.mismatches > 0) problems.push(`${load.mismatches} wrong answers`)
      if (!alive(server)) problems.push('server died')
      figures[scenario] = { ...load, cpuUsPerRequest: before === null || after === null ? null : (after - before) * 1000 / served, problems }
    }
    return figures
  } catch (error) {
    throw new Error(`${target.name}: ${error.message}\n${server.log()}`)
  } finally {
    await stop(server)
  }
}

const fixed = (value, digits) => value === null || value === undefined ? 'n/a' : value.toFixed(digits)

function report (env, rounds) {
  const lines = [
    '# Tasks benchmark (bench/tasks.mjs)', '',
    `${env.date}, Node ${env.node}, fastify ${env.fastify}, autocannon ${env.autocannon}, ioredis ${env.ioredis}; ${env.cpu} (${env.cores} cores); git ${env.git}`,
    `${config.connections} connections, ${config.warmup} s warm-up, ${config.duration} s measured, ${config.rounds} rounds; Redis at ${redisUrl}`, ''
  ]
  lines.push('| round | target | direct calls/s | tasks created/s | polls/s | created / direct | polled / direct | create p50 / p99 (ms) | poll p50 / p99 (ms) | server CPU per direct / create / poll (µs) |')
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  const ratios = {}
  rounds.forEach((round, index) => {
    for (const [name, figures] of Object.entries(round)) {
      const { direct, create, poll } = figures
      const invalid = [direct, create, poll].some((figure) => figure.problems.length > 0)
      const createRatio = create.requestsPerSec / direct.requestsPerSec
      const pollRatio = poll.requestsPerSec / direct.requestsPerSec
      if (!invalid) (ratios[name] ??= []).push({ direct: direct.requestsPerSec, create: create.requestsPerSec, poll: poll.requestsPerSec, createRatio, pollRatio, cpuDirect: direct.cpuUsPerRequest, cpuCreate: create.cpuUsPerRequest, cpuPoll: poll.cpuUsPerRequest })
      lines.push(`| ${index + 1} | ${name}${invalid ? ' (invalid)' : ''} | ${fixed(direct.requestsPerSec, 0)} | ${fixed(create.requestsPerSec, 0)} | ${fixed(poll.requestsPerSec, 0)} | ${fixed(createRatio, 2)} | ${fixed(pollRatio, 2)} | ${fixed(create.p50, 3)} / ${fixed(create.p99, 3)} | ${fixed(poll.p50, 3)} / ${fixed(poll.p99, 3)} | ${fixed(direct.cpuUsPerRequest, 0)} / ${fixed(create.cpuUsPerRequest, 0)} / ${fixed(poll.cpuUsPerRequest, 0)} |`)
    }
  })
  lines.push('', '| target (median of valid rounds) | direct calls/s | tasks created/s | polls/s | created / direct | polled / direct | server CPU per direct / create / poll (µs) |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const [name, list] of Object.entries(ratios)) {
    const of = (key) => median(list.map((entry) => entry[key]))
    lines.push(`| ${name} | ${fixed(of('direct'), 0)} | ${fixed(of('create'), 0)} | ${fixed(of('poll'), 0)} | ${fixed(of('createRatio'), 2)} | ${fixed(of('pollRatio'), 2)} | ${fixed(of('cpuDirect'), 0)} / ${fixed(of('cpuCreate'), 0)} / ${fixed(of('cpuPoll'), 0)} |`)
  }
  for (const target of config.targets) lines.push(`\n- \`${target.name}\`: ${target.about}`)
  const problems = rounds.flatMap((round) => Object.entries(round).flatMap(([name, figures]) =>
    Object.entries(figures).flatMap(([scenario, figure]) => figure.problems.map((problem) => `${name} ${scenario}: ${problem}`))))
  if (problems.length > 0) lines.push('', 'Invalid measurements:', ...problems.map((problem) => `- ${problem}`))
  return { text: `${lines.join('\n')}\n`, valid: problems.length === 0 }
}

const env = environment({
  versions: { fastify: packageVersion('fastify'), autocannon: packageVersion('autocannon'), ioredis: packageVersion('ioredis', createRequire(path.join(root, 'packages', 'mcp-session', 'package.json'))) },
  loadavg: true
})
const rounds = []
for (let round = 0; round < config.rounds; round++) {
  const figures = {}
  const order = config.targets.map((_target, index) => config.targets[(index + round) % config.targets.length])
  for (const target of order) {
    process.stderr.write(`round ${round + 1}: ${target.name}\n`)
    figures[target.name] = await measure(target)
  }
  rounds.push(figures)
}
const { text, valid } = report(env, rounds)
process.stdout.write(text)
const dir = path.join(benchDir, 'results')
mkdirSync(dir, { recursive: true })
const stamp = env.date.replace(/[:.]/g, '-')
writeFileSync(path.join(dir, `tasks-${stamp}.md`), text)
writeFileSync(path.join(dir, `tasks-${stamp}.json`), `${JSON.stringify({ env, config: { ...config, targets: config.targets.map((target) => target.name) }, rounds }, null, 2)}\n`)
process.exitCode = valid ? 0 : 1
