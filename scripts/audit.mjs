// The security audit CI runs (`pnpm run audit`): licences of production dependencies, sources
// and integrity of everything in the lockfile, and the registry's advisories where its endpoint
// answers. The rules against unsafe code patterns are lint rules (eslint.config.js), checked by
// `pnpm run lint`. What each check covers, and what it cannot, is in the README.
//
//   node scripts/audit.mjs [--lockfile <path>] [--packages <dir>...] [--skip-advisories]
//
// --lockfile and --packages point a check at other inputs (a doctored copy of the lockfile, a
// package with a fake licence) to see it fail; --skip-advisories leaves out the one check that
// needs the network.

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pnpmCommand, runAdvisoryAudit } from './audit/advisories.mjs'
import { ALLOWED, checkLicences, publishablePackages } from './audit/licences.mjs'
import { checkLockfile, checkRegistries, configuredRegistries } from './audit/lockfile.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: options } = parseArgs({
  options: {
    lockfile: { type: 'string', default: join(repo, 'pnpm-lock.yaml') },
    packages: { type: 'string', multiple: true },
    'skip-advisories': { type: 'boolean', default: false }
  }
})

let failed = false
function report (check, problems, summary) {
  if (problems.length === 0) {
    process.stdout.write(`audit ${check}: ok, ${summary}\n`)
    return
  }
  failed = true
  process.stdout.write(`audit ${check}: FAILED, ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`)
  for (const problem of problems) process.stdout.write(`  ${problem}\n`)
}

// Licences
const roots = options.packages?.map((dir) => resolve(dir)) ?? publishablePackages(repo)
const licences = checkLicences(roots)
report('licences', licences.offenders,
  `${licences.packages.length} packages (the ${roots.length} publishable ones and what they install for production) ` +
  `under the allow-list ${ALLOWED.join(', ')}`)

// Lockfile and registries
const lockfile = checkLockfile(readFileSync(options.lockfile, 'utf8'))
const npmrcPath = join(repo, '.npmrc')
const registries = configuredRegistries(process.env, existsSync(npmrcPath) ? readFileSync(npmrcPath, 'utf8') : '')
if (!registries.some(({ scope }) => scope === 'default')) {
  // Run outside `pnpm run`: ask pnpm which registry its configuration names.
  const [command, prefix] = pnpmCommand()
  const url = spawnSync(command, [...prefix, 'config', 'get', 'registry'], { cwd: repo, encoding: 'utf8' }).stdout?.trim()
  registries.push({ where: 'pnpm config get registry', scope: 'default', url: url || '(pnpm did not say)' })
}
const defaultRegistry = registries.find(({ scope }) => scope === 'default').url
report('lockfile', [...lockfile.offenders, ...checkRegistries(registries)],
  `${lockfile.packages} packages from ${defaultRegistry}, each with a sha512 integrity hash, and ${lockfile.links} links to workspace packages`)

// Advisories
if (options['skip-advisories']) {
  process.stdout.write('audit advisories: skipped (--skip-advisories)\n')
} else {
  const advisories = runAdvisoryAudit(repo)
  switch (advisories.outcome) {
    case 'passed':
      report('advisories', [], 'no high or critical advisory for a production dependency (pnpm audit --prod)')
      break
    case 'failed':
      report('advisories', advisories.findings)
      break
    case 'error':
      report('advisories', [advisories.reason])
      break
    case 'unavailable':
      process.stdout.write('audit advisories: COULD NOT RUN, not failing: the registry\'s advisory endpoint gave no answer, ' +
        `so no dependency was checked against known vulnerabilities\n  ${advisories.reason}\n`)
      break
  }
}

process.exitCode = failed ? 1 : 0
