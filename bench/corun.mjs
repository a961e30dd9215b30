// Benchmark of the request hot path (issue 11), the co-run way: raw Fastify and our fixture server
// run at the same time, pinned together on one core, each driven by a load generator of its own
// (the two on the other core), and each server's CPU time per request is read from /proc. Both
// servers live through the same moments of this shared machine, whose speed drifts by up to 1.8x
// within minutes, so the ratio of their CPU per request holds where req/s measured one after the
// other does not.
//
//   node bench/corun.mjs [--rounds 5] [--duration 5] [--warmup 2] [--connections 50] [--modes json,sse]
//                        [--against <checkout>] [--profile <dir>]
//
// Per round and mode:
//   json  ours (examples/conformance/dist/server.js, memory session store) answers tools/call as
//         JSON; raw Fastify (bench/servers/raw-fastify.mjs) returns the same JSON-RPC answer
//   sse   ours with RESPONSE_MODE=sse (every answer an SSE stream: the priming event, then the
//         result, logged for resumption); raw Fastify with ANSWER=sse (the result as one SSE event)
// Each connection to ours does its own initialize + notifications/initialized and calls in its
// own session. The load generators (bench/corun-load.mjs) check every answer; the window starts
// after the warm-up, and the servers' CPU time (utime + stime) and the answers counted are read
// at both of its ends. "raw / ours" is raw Fastify's CPU per request over ours: the fraction of
// raw Fastify's throughput per core that ours reaches. Targets: json >= 0.8, sse >= 0.6.
//
// With `--against <checkout>` (another checkout of this repository, installed and built, such as a
// `git worktree` of an earlier commit), the baseline is not raw Fastify but that checkout's
// fixture server, run and driven exactly as ours: "base / ours" above 1 means ours costs less
// CPU per request than that revision. This tells changes of a few per cent apart, which runs
// against raw Fastify one after the other cannot (their ratio moves by up to 0.07 between rounds).
//
// With `--profile <dir>`, both servers are CPU-profiled over the measured window of every round
// (bench/profile-window.mjs), the profiles go to <dir>, and the report says, per round, where
// each server's CPU per request goes (bench/profile-diff.mjs: µs per request by origin and by
// function). The profiler costs CPU: measure the ratios without it.
//
// The report goes to stdout and to bench/results/ (markdown + JSON). Needs `pnpm run build`.
import { fork, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { compare, describe } from './profile-diff.mjs'
import { alive, benchDir, cpuMs, environment, freePort, keepOutput, median, packageVersion, pinned, pinnedFork, PIN, root, stop, track, waitForPort } from './common.mjs'

const OURS = 'examples/conformance/dist/server.js'
const RAW = 'bench/servers/raw-fastify.mjs'
const TARGETS = { json: 0.8, sse: 0.6 }

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    modes: { type: 'string', default: 'json,sse' },
    against: { type: 'string' },
    profile: { type: 'string' }
  }
})
const profileDir = values.profile === undefined ? undefined : path.resolve(values.profile)
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
const against = values.against === undefined ? undefined : path.resolve(values.against, OURS)
// The baseline: raw Fastify, or ours at another revision (`--against`).
const BASE = against === undefined ? { label: 'raw', file: RAW, ours: false } : { label: 'base', file: against, ours: true }
const config = {
  rounds: Number(values.rounds),
  duration: Number(values.duration),
  warmup: Number(values.warmup),
  connections: Number(values.connections),
  modes: values.modes.split(',').filter((mode) => mode in TARGETS),
  against: against ?? null
}
if (config.modes.length === 0 || ![config.rounds, config.duration, config.connections].every((n) => n >= 1) || !(config.warmup >= 0)) {
  process.stderr.write('usage: node bench/corun.mjs [--rounds n] [--duration s] [--warmup s] [--connections n] [--modes json,sse]\n')
  process.exit(2)
}
if (!existsSync(path.join(root, OURS))) {
  process.stderr.write(`corun: ${OURS} is missing: run pnpm run build\n`)
  process.exit(2)
}
if (against !== undefined && !existsSync(against)) {
  process.stderr.write(`corun: ${against} is missing: install and build that checkout\n`)
  process.exit(2)
}
if (!PIN) process.stderr.write('corun: no taskset or fewer than 2 cores: servers and load generators are not pinned\n')
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))

/** A server on core 1; with `profileOut`, profiled over the window its SIGWINCH signals bound. */
function startServer (file, env, port, profileOut) {
  const [command, args] = pinned(1, profileOut === undefined ? [file] : ['--import', path.join(benchDir, 'profile-window.mjs'), file])
  return keepOutput(track(spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'silent', PROFILE_OUT: profileOut ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })))
}

/** A load generator on core 0; `ready` resolves once its connections have checked their first calls. */
function startLoad (name, options) {
  const child = track(fork(path.join(benchDir, 'corun-load.mjs'), [JSON.stringify(options)], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...pinnedFork(0)
  }))
  const replies = []
  let exited = null
  child.on('message', (message) => replies.shift()?.(message))
  child.once('exit', (code) => {
    exited = new Error(`${name}: load generator exited (code ${code})`)
    for (const reply of replies.splice(0)) reply({ failed: exited.message })
  })
  const next = () => new Promise((resolve, reject) => {
    if (exited !== null) return reject(exited)
    replies.push((message) => message.failed ? reject(new Error(`${name}: ${message.failed}`)) : resolve(message))
  })
  const ask = (command) => { const reply = next(); child.send(command); return reply }
  return { child, ask, ready: next() }
}

/** Waits for the profile a server writes once told to stop (see bench/profile-window.mjs). */
async function profileWritten (file) {
  for (let waited = 0; !existsSync(`${file}.done`); waited += 100) {
    if (waited > 30_000) throw new Error(`no CPU profile at ${file}`)
    await sleep(100)
  }
  return file
}

/** One round of one mode: both servers and both load generators at once. */
async function measure (mode, round) {
  const [rawPort, oursPort] = [await freePort(), await freePort()]
  const oursEnv = { REDIS_URL: '', ...(mode === 'sse' && { RESPONSE_MODE: 'sse' }) }
  const profiles = profileDir === undefined
    ? {}
    : { raw: path.join(profileDir, `corun-${mode}-${round}-${BASE.label}.cpuprofile`), ours: path.join(profileDir, `corun-${mode}-${round}-ours.cpuprofile`) }
  const servers = {
    raw: startServer(BASE.file, BASE.ours ? oursEnv : { ANSWER: mode }, rawPort, profiles.raw),
    ours: startServer(OURS, oursEnv, oursPort, profiles.ours)
  }
  // The profiles cover the measured window: SIGWINCH starts and stops them (SIGUSR2 would close
  // the fixture server, through close-with-grace).
  const toggleProfiles = () => { if (profileDir !== undefined) for (const server of Object.values(servers)) server.kill('SIGWINCH') }
  const loads = {}
  try {
    await Promise.all([waitForPort(rawPort, servers.raw), waitForPort(oursPort, servers.ours)])
    const common = { connections: config.connections, mode, text: 'hello' }
    loads.raw = startLoad(BASE.label, { ...common, port: rawPort, handshake: BASE.ours })
    loads.ours = startLoad('ours', { ...common, port: oursPort, handshake: true })
    await Promise.all([loads.raw.ready, loads.ours.ready])
    const mark = async () => {
      const at = performance.now()
      const cpu = { raw: cpuMs(servers.raw.pid), ours: cpuMs(servers.ours.pid), loads: cpuMs(loads.raw.child.pid) + cpuMs(loads.ours.child.pid) }
      const [raw, ours] = await Promise.all([loads.raw.ask('mark'), loads.ours.ask('mark')])
      return { at, cpu, raw, ours }
    }
    loads.raw.child.send('go')
    loads.ours.child.send('go')
    await sleep(config.warmup * 1000)
    toggleProfiles()
    const start = await mark()
    await sleep(config.duration * 1000)
    const end = await mark()
    toggleProfiles()
    const totals = { raw: await loads.raw.ask('stop'), ours: await loads.ours.ask('stop') }
    const seconds = (end.at - start.at) / 1000
    const figures = {}
    for (const name of ['raw', 'ours']) {
      const requests = end[name].completed - start[name].completed
      const problems = []
      if (totals[name].wrong > 0) problems.push(`${totals[name].wrong} wrong answers (${totals[name].sample})`)
      if (totals[name].errors > 0) problems.push(`${totals[name].errors} connections failed (${totals[name].firstError})`)
      if (!alive(servers[name])) problems.push('server died')
      if (requests === 0) problems.push('no answers in the window')
      figures[name] = { requests, requestsPerSec: requests / seconds, cpuMs: end.cpu[name] - start.cpu[name], cpuUsPerRequest: (end.cpu[name] - start.cpu[name]) * 1000 / requests, problems }
    }
    if (profileDir !== undefined) await Promise.all(Object.values(profiles).map(profileWritten))
    return {
      ...figures,
      profiles,
      seconds,
      ratio: figures.raw.cpuUsPerRequest / figures.ours.cpuUsPerRequest,
      serversCore: (figures.raw.cpuMs + figures.ours.cpuMs) / (seconds * 1000),
      loadsCore: (end.cpu.loads - start.cpu.loads) / (seconds * 1000),
      loadavg: os.loadavg()[0],
      valid: figures.raw.problems.length === 0 && figures.ours.problems.length === 0
    }
  } catch (error) {
    for (const [name, server] of Object.entries(servers)) {
      const log = server.log().trim()
      if (log !== '') process.stderr.write(`--- ${name} server output (tail) ---\n${log}\n`)
    }
    throw error
  } finally {
    for (const load of Object.values(loads)) load.child.kill('SIGKILL')
    await Promise.all(Object.values(servers).map((server) => stop(server)))
  }
}

const fixed = (value, digits) => Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
const percent = (value) => `${Math.round(value * 100)} %`

function report (env, results) {
  const base = BASE.label
  const lines = [
    `# Co-run benchmark (bench/corun.mjs): server CPU time per request, ours against ${against === undefined ? 'raw Fastify' : `ours at ${against}`}`, '',
    `${env.date}, git ${env.git}, Node ${env.node}, fastify ${env.fastify}; ${env.cpu} (${env.cores} cores), load average ${env.loadavg} at the start`,
    `tools/call of echo, ${config.connections} connections per server (a session per connection for ours), ${config.warmup} s warm-up, ${config.duration} s measured, ${config.rounds} rounds;`,
    `${PIN ? 'both servers on core 1, their load generators on core 0, all at once' : 'not pinned'}. ${base} / ours = ${against === undefined ? 'raw Fastify\'s' : 'the baseline\'s'} CPU per request over ours.`, ''
  ]
  const summary = []
  for (const mode of config.modes) {
    const rounds = results.map((round) => round[mode])
    lines.push(`## ${mode} answers`, '',
      `| round | ${base} req/s | ours req/s | ${base} CPU µs/request | ours CPU µs/request | ${base} / ours | core 1 busy (servers) | core 0 busy (load) | load avg (1 min) |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    rounds.forEach((r, index) => {
      lines.push(`| ${index + 1}${r.valid ? '' : ' (invalid)'} | ${fixed(r.raw.requestsPerSec, 0)} | ${fixed(r.ours.requestsPerSec, 0)} | ${fixed(r.raw.cpuUsPerRequest, 1)} | ${fixed(r.ours.cpuUsPerRequest, 1)} | ${fixed(r.ratio, 2)} | ${percent(r.serversCore)} | ${percent(r.loadsCore)} | ${fixed(r.loadavg, 2)} |`)
    })
    const valid = rounds.filter((r) => r.valid)
    const of = (pick) => valid.length === 0 ? NaN : median(valid.map(pick))
    const ratio = of((r) => r.ratio)
    lines.push(`| **median** | ${fixed(of((r) => r.raw.requestsPerSec), 0)} | ${fixed(of((r) => r.ours.requestsPerSec), 0)} | ${fixed(of((r) => r.raw.cpuUsPerRequest), 1)} | ${fixed(of((r) => r.ours.cpuUsPerRequest), 1)} | **${fixed(ratio, 2)}** | | | |`, '')
    summary.push({ mode, target: TARGETS[mode], ratio, met: ratio >= TARGETS[mode], validRounds: valid.length })
  }
  // The targets are against raw Fastify: against another revision there is only the ratio.
  if (against === undefined) {
    lines.push('| answers | target: raw / ours at least | measured (median) | |', '| --- | ---: | ---: | --- |')
    for (const s of summary) lines.push(`| ${s.mode} | ${s.target} | ${fixed(s.ratio, 2)} | ${s.validRounds === 0 ? 'no valid round' : s.met ? 'met' : '**missed**'} |`)
  }
  if (profileDir !== undefined) {
    lines.push('', `## Where the CPU per request goes (CPU profiles in ${profileDir}; the profiler's cost is in these rounds' figures)`, '')
    for (const mode of config.modes) {
      results.forEach((round, index) => {
        const r = round[mode]
        lines.push(`### ${mode}, round ${index + 1}`, '', describe(compare(r.profiles.raw, r.profiles.ours, r.raw.cpuUsPerRequest, r.ours.cpuUsPerRequest), { base, top: 25 }))
      })
    }
  }
  const problems = results.flatMap((round, index) => Object.entries(round).flatMap(([mode, r]) =>
    ['raw', 'ours'].flatMap((name) => r[name].problems.map((problem) => `round ${index + 1}, ${mode}, ${name === 'raw' ? base : name}: ${problem}`))))
  if (problems.length > 0) lines.push('', 'Invalid measurements:', ...problems.map((problem) => `- ${problem}`))
  return { text: `${lines.join('\n')}\n`, summary, valid: problems.length === 0 }
}

const env = environment({ versions: { fastify: packageVersion('fastify') }, loadavg: true })
const results = []
for (let round = 0; round < config.rounds; round++) {
  const figures = {}
  // The order of the modes alternates, so neither always runs first in a round.
  const order = round % 2 === 0 ? config.modes : [...config.modes].reverse()
  for (const mode of order) {
    process.stderr.write(`corun: round ${round + 1}/${config.rounds}, ${mode}\n`)
    figures[mode] = await measure(mode, round + 1)
  }
  results.push(figures)
}
const { text, summary, valid } = report(env, results)
process.stdout.write(text)
const dir = path.join(benchDir, 'results')
mkdirSync(dir, { recursive: true })
const stamp = env.date.replace(/[:.]/g, '-')
writeFileSync(path.join(dir, `corun-${stamp}.md`), text)
writeFileSync(path.join(dir, `corun-${stamp}.json`), `${JSON.stringify({ env, config, loadavgAtEnd: os.loadavg(), results, summary }, null, 2)}\n`)
process.stderr.write(`corun: wrote bench/results/corun-${stamp}.md and .json\n`)
process.exitCode = valid ? 0 : 1
