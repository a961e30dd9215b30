#!/usr/bin/env node
// Runs the official MCP conformance suite 0.1.16 (@modelcontextprotocol/conformance), the
// judge of the 2025 revisions, against the fixture server and fails on any failure.
// (run-next.mjs runs 0.2.0-alpha.12, the judge of 2026-07-28.)
//
//   node test/conformance/run.mjs                      all 32 server scenarios
//   node test/conformance/run.mjs -- --scenario ping   one scenario
//
// Environment:
//   CONFORMANCE_SERVER            shell command that starts the server (gets PORT)
//                                 default: node examples/conformance/dist/server.js
//   CONFORMANCE_TIMEOUT_MS        bound for the whole suite run (default 300000)
//   CONFORMANCE_START_TIMEOUT_MS  bound for the server to accept TCP (default 15000)
//   CONFORMANCE_NODE              Node >= 22 binary for the suite (optional override)
import {
  fail, killGroup, positiveInt, resolveNode22, resolveSuite, root, start, startServer
} from './harness.mjs'

const EXPECTED_SCENARIOS = 32

function parseArgs (argv) {
  const sep = argv.indexOf('--')
  const own = sep === -1 ? [] : argv.slice(0, sep)
  // Without `--`, everything is taken as suite arguments (pnpm may drop `--`).
  const suite = sep === -1 ? argv : argv.slice(sep + 1)
  if (own.includes('-h') || own.includes('--help') || (sep === -1 && (argv.includes('-h') || argv.includes('--help')))) {
    process.stdout.write([
      'usage: node test/conformance/run.mjs [-- <conformance server options>]',
      '  e.g. node test/conformance/run.mjs -- --scenario ping',
      '  suite options: see the conformance CLI `server --help`',
      ''
    ].join('\n'))
    process.exit(0)
  }
  if (own.length > 0) fail(`unknown argument(s) ${own.join(' ')}; pass suite options after --`)
  return suite
}

function hasOption (args, name) {
  return args.some((arg) => arg === name || arg.startsWith(`${name}=`))
}

// Summary printed by the suite (0.1.16) in suite mode:
//   === SUMMARY ===
//   ✓ server-initialize: 1 passed, 0 failed
//   ✗ tools-list: 0 passed, 1 failed
//   Total: 40 passed, 2 failed
// and with --scenario (no summary block):
//   Passed: 1/1, 0 failed, 0 warnings
function parseResults (output, singleScenario) {
  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\x1B\[[0-9;]*m/g, '').split(/\r?\n/)
  const scenarios = []
  let announced
  for (const line of lines) {
    const m = /^Running \S+ suite \((\d+) scenarios\)/.exec(line)
    if (m) announced = Number(m[1])
  }
  if (singleScenario) {
    let name
    for (const line of lines) {
      const running = /^Running client scenario '([^']+)'/.exec(line)
      if (running) name = running[1]
      const m = /^Passed: (\d+)\/(\d+), (\d+) failed/.exec(line)
      if (m) scenarios.push({ name: name ?? '?', passed: Number(m[1]), failed: Number(m[3]) })
    }
  } else {
    const start = lines.lastIndexOf('=== SUMMARY ===')
    if (start !== -1) {
      for (const line of lines.slice(start + 1)) {
        const m = /^[✓✗] (.+): (\d+) passed, (\d+) failed$/.exec(line.trim())
        if (m) scenarios.push({ name: m[1], passed: Number(m[2]), failed: Number(m[3]) })
      }
    }
  }
  return { scenarios, announced }
}

async function main () {
  const suiteArgs = parseArgs(process.argv.slice(2))
  const node22 = resolveNode22()
  const suiteCli = resolveSuite('@modelcontextprotocol/conformance')
  const timeoutMs = positiveInt('CONFORMANCE_TIMEOUT_MS', 300_000)
  const server = await startServer()
  const url = server.url

  const singleScenario = hasOption(suiteArgs, '--scenario')
  const args = [suiteCli, 'server', '--url', url, '--suite', 'all', ...suiteArgs]
  const suite = start(node22, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  suite.stdout.setEncoding('utf8')
  suite.stdout.on('data', (chunk) => {
    output += chunk
    process.stdout.write(chunk)
  })

  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killGroup(suite, 'SIGKILL')
  }, timeoutMs)

  const [suiteCode, suiteSignal] = await new Promise((resolve) => {
    suite.once('error', (err) => fail(`cannot start the suite with ${node22}: ${err.message}`))
    suite.once('close', (code, signal) => resolve([code, signal]))
  })
  clearTimeout(timer)
  const serverDied = server.died()
  await server.stop()

  if (timedOut) fail(`timed out after ${timeoutMs} ms (CONFORMANCE_TIMEOUT_MS), suite and server killed`)

  const { scenarios, announced } = parseResults(output, singleScenario)
  const passed = scenarios.filter((s) => s.failed === 0).length
  const failed = scenarios.length - passed
  process.stdout.write(`conformance: ${passed} scenarios passed, ${failed} failed\n`)

  const problems = []
  if (suiteCode !== 0) problems.push(`suite exited with ${suiteSignal ? `signal ${suiteSignal}` : `code ${suiteCode}`}`)
  if (failed > 0) problems.push(`failed: ${scenarios.filter((s) => s.failed > 0).map((s) => s.name).join(', ')}`)
  if (scenarios.length === 0) problems.push('no scenario result found in the suite output')
  if (!singleScenario) {
    // With the defaults all 32 scenarios must run; if --suite/--spec-version
    // were overridden, the count the suite announced must run.
    const overridden = hasOption(suiteArgs, '--suite') || hasOption(suiteArgs, '--spec-version')
    const expected = overridden ? (announced ?? 1) : EXPECTED_SCENARIOS
    if (scenarios.length < expected) problems.push(`only ${scenarios.length} of ${expected} scenarios ran`)
  }
  if (serverDied) problems.push('server exited during the run')
  if (problems.length > 0) fail(problems.join('; '))
}

main().catch((err) => fail(err.stack || String(err)))
