#!/usr/bin/env node
// Runs the next official MCP conformance suite, 0.2.0-alpha.12 (installed in test/ as
// @modelcontextprotocol/conformance-next), against the fixture server, at one frozen
// requirement set, and fails on any failure.
//
//   node test/conformance/run-next.mjs                              2026-07-28: 37 scored + 3 pending
//   node test/conformance/run-next.mjs --requirements 2025-11-25    2025-11-25: 30 scored + 3 not scored
//   node test/conformance/run-next.mjs --scenario caching [--scenario ...]
//   node test/conformance/run-next.mjs --extensions                 2026-07-28: the 10 tasks-extension scenarios
//
// 2026-07-28: the alpha refuses --requirements with --scenario, and a scenario run without
// --spec-version or --force runs at 2025-11-25 or is skipped (exit 0, no checks.json). So each
// scenario that `list --server --requirements 2026-07-28` names (scored, and pending; not the
// tasks extension, which --extensions runs) runs on its own with --spec-version 2026-07-28 --force, and its checks.json
// decides: missing = failure, a FAILURE check = failure. WARNING checks are reported apart.
// 2025-11-25: one `server --requirements 2025-11-25` run (exit 0 needed), then the same reading
// of every scenario's checks.json, the not-scored ones included.
//
// Environment:
//   CONFORMANCE_SERVER               shell command that starts the server (gets PORT)
//   CONFORMANCE_TIMEOUT_MS           bound for the whole run (default 600000)
//   CONFORMANCE_SCENARIO_TIMEOUT_MS  the suite's --timeout per scenario (default 30000)
//   CONFORMANCE_JOBS                 scenarios run side by side, one suite process each (default 2;
//                                    server-stateless and tools-list always run alone)
//   CONFORMANCE_START_TIMEOUT_MS     bound for the server to accept TCP (default 15000)
//   CONFORMANCE_OUTPUT_DIR           keep the suite's checks.json files there (default: a
//                                    temporary directory, removed unless something failed)
//   CONFORMANCE_NODE                 Node >= 22 binary for the suite
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fail, killGroup, positiveInt, resolveNode22, resolveSuite, root, start, startServer } from './harness.mjs'

const SUITE = '@modelcontextprotocol/conformance-next'
/** Scenarios each requirement set must run at least (scored + not scored, the tasks extension aside). */
const EXPECTED = { '2026-07-28': 40, '2025-11-25': 33 }
/**
 * The `extension` server scenarios of 2026-07-28 (--extensions): the tasks extension's ten. The
 * suite always reports `tasks-status-notifications` as one SKIPPED check (its harness awaits the
 * subscriptions/listen rewrite): a scenario with no failure passes, so it counts as passed.
 */
const EXPECTED_EXTENSIONS = 10
/** Not-scored kinds the requirement-set runs hold ourselves to (`extension` runs apart, with --extensions). */
const HELD = new Set(['pending', 'added-after-release'])
/**
 * Run alone, never beside another scenario: server-stateless adds and removes tools and prompts
 * (list_changed triggers) and reads its streams within 500-1500 ms; tools-list compares three
 * listings for a stable order.
 */
const EXCLUSIVE = new Set(['server-stateless', 'tools-list'])
// eslint-disable-next-line no-control-regex
const ANSI = /\x1B\[[0-9;]*m/g

const { values: options } = parseArgs({
  options: {
    requirements: { type: 'string', default: '2026-07-28' },
    scenario: { type: 'string', multiple: true, default: [] },
    extensions: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (options.help) {
  process.stdout.write([
    'usage: node test/conformance/run-next.mjs [--requirements 2026-07-28|2025-11-25] [--scenario S ...] [--verbose]',
    '  --scenario S   run S (any server scenario, tasks-* included) instead of the requirement set; repeatable',
    '  --extensions   run the extension scenarios of 2026-07-28 (the tasks extension) instead',
    '  --verbose      stream the suite\'s own output to stderr',
    ''
  ].join('\n'))
  process.exit(0)
}
const revision = options.requirements
if (!(revision in EXPECTED)) fail(`--requirements must be ${Object.keys(EXPECTED).join(' or ')}, not ${revision}`)
if (options.extensions && revision !== '2026-07-28') fail('--extensions runs at 2026-07-28 only')

const node22 = resolveNode22()
const cli = resolveSuite(SUITE)
const timeoutMs = positiveInt('CONFORMANCE_TIMEOUT_MS', 600_000)
const scenarioTimeoutMs = positiveInt('CONFORMANCE_SCENARIO_TIMEOUT_MS', 30_000)
const jobs = positiveInt('CONFORMANCE_JOBS', 2)
const deadline = Date.now() + timeoutMs

/**
 * Runs the suite's CLI with `args`; its output is kept (and streamed to stderr with --verbose).
 * Killed past `limitMs`, or past the whole run's deadline.
 */
async function suite (args, limitMs) {
  const child = start(node22, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      output += chunk
      if (options.verbose) process.stderr.write(chunk)
    })
  }
  let killed = false
  const timer = setTimeout(() => {
    killed = true
    killGroup(child, 'SIGKILL')
  }, Math.max(0, Math.min(limitMs, deadline - Date.now())))
  const [code, signal] = await new Promise((resolve) => {
    child.once('error', (err) => fail(`cannot start the suite with ${node22}: ${err.message}`))
    child.once('close', (code, signal) => resolve([code, signal]))
  })
  clearTimeout(timer)
  if (killed && Date.now() >= deadline) fail(`timed out after ${timeoutMs} ms (CONFORMANCE_TIMEOUT_MS), suite and server killed`)
  return { code, signal, killed, output: output.replace(ANSI, '') }
}

/**
 * The server scenarios of a requirement set, from `list --server --requirements`: the scored
 * ones ("Server scenarios"), then the not-scored `[server]` ones of the kinds we hold ourselves to;
 * with `extensions`, only the `extension` ones.
 */
async function listScenarios (extensions) {
  const held = extensions ? new Set(['extension']) : HELD
  const { code, output } = await suite(['list', '--server', '--requirements', revision], 60_000)
  if (code !== 0) fail(`list --server --requirements ${revision} exited ${code}:\n${output}`)
  const scenarios = []
  let section
  let kind
  for (const line of output.split(/\r?\n/)) {
    if (/^Server scenarios/.test(line)) section = 'scored'
    else if (/^Client scenarios/.test(line)) section = undefined
    else if (/^Run and reported, but never scored/.test(line)) section = 'unscored'
    else if (section === 'scored') {
      const m = /^ {2}- (\S+)$/.exec(line)
      if (m && !extensions) scenarios.push({ name: m[1], kind: 'scored' })
    } else if (section === 'unscored') {
      const heading = /^ {2}(\S+) \(\d+\):$/.exec(line)
      if (heading) kind = heading[1]
      const m = /^ {4}- (\S+) \[server\]$/.exec(line)
      if (m && held.has(kind)) scenarios.push({ name: m[1], kind })
    }
  }
  return scenarios
}

/** The checks.json files under `dir`, by scenario (`server-<scenario>-<ISO timestamp>/checks.json`). */
function readChecks (dir) {
  const found = new Map()
  let entries = []
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {}
  for (const entry of entries) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry.name)
    if (!entry.isDirectory() || !m) continue
    try {
      found.set(m[1], JSON.parse(readFileSync(path.join(dir, entry.name, 'checks.json'), 'utf8')))
    } catch (err) {
      found.set(m[1], err)
    }
  }
  return found
}

/** One scenario's outcome from its checks (an array), or why there are none. */
function judge (scenario, checks, run, ms) {
  const result = { ...scenario, ms, count: {}, failures: [], warnings: [], problem: undefined }
  if (checks === undefined) {
    result.problem = `NOT RUN: no checks.json (suite exited ${run.signal ?? run.code}${run.killed ? ', killed' : ''})`
  } else if (!Array.isArray(checks)) {
    result.problem = `unreadable checks.json: ${checks.message ?? String(checks)}`
  } else {
    for (const check of checks) {
      result.count[check.status] = (result.count[check.status] ?? 0) + 1
      const entry = { id: check.id, message: check.errorMessage ?? check.description ?? '' }
      if (check.status === 'FAILURE') result.failures.push(entry)
      if (check.status === 'WARNING') result.warnings.push(entry)
    }
    if (checks.length === 0) result.problem = 'checks.json holds no check'
    // A lone scenario exits 1 exactly when a check failed: anything else is the suite's own trouble.
    else if (run.single && run.code !== (result.failures.length > 0 ? 1 : 0)) result.problem = `suite exited ${run.signal ?? run.code}`
  }
  result.passed = result.problem === undefined && result.failures.length === 0
  return result
}

function report (result) {
  const { count } = result
  const tag = result.kind === 'scored' || result.kind === 'chosen' ? '' : ` (${result.kind})`
  const counts = result.problem !== undefined
    ? result.problem
    : `${count.SUCCESS ?? 0} passed, ${count.FAILURE ?? 0} failed, ${count.WARNING ?? 0} warnings` +
      ['INFO', 'SKIPPED'].filter((status) => count[status]).map((status) => `, ${count[status]} ${status.toLowerCase()}`).join('')
  const time = result.ms === undefined ? '' : `  ${(result.ms / 1000).toFixed(1)}s`
  process.stdout.write(`${result.passed ? '✓' : '✗'} ${`${result.name}${tag}`.padEnd(52)} ${counts}${time}\n`)
  for (const { id, message } of result.failures) process.stdout.write(`    FAILURE ${id}: ${message}\n`)
}

async function main () {
  const chosen = options.scenario.length > 0
  const scenarios = chosen ? options.scenario.map((name) => ({ name, kind: 'chosen' })) : await listScenarios(options.extensions)
  const expected = chosen ? scenarios.length : options.extensions ? EXPECTED_EXTENSIONS : EXPECTED[revision]
  const keep = process.env.CONFORMANCE_OUTPUT_DIR
  const out = keep ? path.resolve(keep) : mkdtempSync(path.join(os.tmpdir(), 'mcp-conformance-next-'))
  mkdirSync(out, { recursive: true })

  const server = await startServer()
  process.stdout.write(`conformance ${SUITE.split('/')[1]} (0.2.0-alpha.12) at ${revision} against ${server.url}: ${scenarios.length} scenarios\n`)
  const results = []
  let setRun
  if (revision === '2026-07-28' || chosen || options.extensions) {
    // Each scenario on its own, at the revision's wire whatever it was introduced in.
    const one = async (scenario) => {
      const dir = path.join(out, scenario.name)
      const began = Date.now()
      const run = await suite(['server', '--url', server.url, '--scenario', scenario.name, '--spec-version', revision,
        '--force', '-o', dir, '--timeout', String(scenarioTimeoutMs)], scenarioTimeoutMs + 15_000)
      const result = judge(scenario, readChecks(dir).get(scenario.name), { ...run, single: true }, Date.now() - began)
      if (!result.passed && result.failures.length === 0) result.output = run.output
      report(result)
      return result
    }
    // The exclusive ones first, alone: they change the lists or time their reads to the
    // millisecond. Then the others, `jobs` at a time (each is mostly the suite starting up).
    const byName = new Map()
    for (const scenario of scenarios.filter((scenario) => EXCLUSIVE.has(scenario.name))) byName.set(scenario.name, await one(scenario))
    const queue = scenarios.filter((scenario) => !EXCLUSIVE.has(scenario.name))
    await Promise.all(Array.from({ length: jobs }, async () => {
      for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) byName.set(scenario.name, await one(scenario))
    }))
    for (const scenario of scenarios) results.push(byName.get(scenario.name))
  } else {
    // The frozen set in one run, as `--requirements` runs it; then each scenario's checks.
    const began = Date.now()
    setRun = await suite(['server', '--url', server.url, '--requirements', revision, '-o', out,
      '--timeout', String(scenarioTimeoutMs)], scenarios.length * (scenarioTimeoutMs + 5_000))
    const found = readChecks(out)
    for (const scenario of scenarios) {
      const result = judge(scenario, found.get(scenario.name), setRun, undefined)
      report(result)
      results.push(result)
    }
    process.stdout.write(`  (one --requirements ${revision} run, ${((Date.now() - began) / 1000).toFixed(1)}s, exit ${setRun.signal ?? setRun.code})\n`)
  }
  const serverDied = server.died()
  await server.stop()

  const passed = results.filter((result) => result.passed).length
  const failed = results.length - passed
  const total = (status) => results.reduce((sum, result) => sum + (result.count[status] ?? 0), 0)
  const warnings = results.flatMap((result) => result.warnings.map((warning) => ({ scenario: result.name, ...warning })))
  const scored = results.filter((result) => result.kind === 'scored')
  process.stdout.write(
    `\nconformance-next ${revision}${options.extensions ? ' extensions' : ''}: ${passed} of ${results.length} scenarios passed, ${failed} failed` +
    (chosen || options.extensions ? '' : ` (scored ${scored.filter((result) => result.passed).length}/${scored.length}, not scored ${passed - scored.filter((result) => result.passed).length}/${results.length - scored.length})`) +
    `; checks: ${total('SUCCESS')} passed, ${total('FAILURE')} failed, ${total('WARNING')} warnings, ${total('INFO')} info, ${total('SKIPPED')} skipped\n`)
  if (warnings.length > 0) {
    process.stdout.write(`warnings (${warnings.length}, they fail nothing):\n`)
    for (const { scenario, id, message } of warnings) process.stdout.write(`  WARNING ${scenario}: ${id}: ${message}\n`)
  }

  const problems = []
  if (failed > 0) problems.push(`failed: ${results.filter((result) => !result.passed).map((result) => result.name).join(', ')}`)
  if (results.length < expected) problems.push(`only ${results.length} of ${expected} scenarios ran`)
  if (setRun !== undefined && setRun.code !== 0) problems.push(`the --requirements ${revision} run exited ${setRun.signal ?? setRun.code}`)
  if (serverDied) problems.push('server exited during the run')
  if (problems.length > 0) {
    for (const result of results) {
      if (result.output) process.stderr.write(`\n--- suite output, ${result.name} ---\n${result.output}\n`)
    }
    if (setRun !== undefined && setRun.code !== 0) process.stderr.write(`\n--- suite output ---\n${setRun.output}\n`)
    fail(`${problems.join('; ')}\n  the suite's checks.json files are in ${out}`)
  }
  if (!keep) rmSync(out, { recursive: true, force: true })
}

main().catch((err) => fail(err.stack || String(err)))
