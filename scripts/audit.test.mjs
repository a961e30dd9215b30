// The audit's checkers fed bad inputs: each must be able to fail, and say what failed.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { judgeAudit } from './audit/advisories.mjs'
import { checkLicences, licenceProblem, parseSpdx, satisfies } from './audit/licences.mjs'
import { checkLockfile, checkRegistries, configuredRegistries } from './audit/lockfile.mjs'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const realLockfile = readFileSync(join(repo, 'pnpm-lock.yaml'), 'utf8')

function temporaryDirectory (t) {
  const dir = mkdtempSync(join(tmpdir(), 'audit-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('SPDX expressions: OR takes any allowed branch, AND needs every term', () => {
  const allowed = (expression) => satisfies(parseSpdx(expression))
  assert.equal(allowed('MIT'), true)
  assert.equal(allowed('MIT OR Apache-2.0'), true)
  assert.equal(allowed('(MIT OR GPL-3.0-only)'), true)
  assert.equal(allowed('GPL-3.0-only OR AGPL-3.0-only'), false)
  assert.equal(allowed('MIT AND GPL-3.0-only'), false)
  assert.equal(allowed('(MIT OR GPL-3.0-only) AND BSD-3-Clause'), true)
  assert.equal(allowed('MIT OR GPL-3.0-only AND LGPL-2.1-only'), true, 'AND binds tighter than OR')
  assert.equal(allowed('(MIT OR GPL-3.0-only) AND LGPL-2.1-only'), false)
  assert.equal(allowed('mit or apache-2.0'), true, 'ids and operators in any case')
  assert.equal(allowed('Apache-2.0 WITH LLVM-exception'), true, 'an exception only adds permissions')
  assert.equal(allowed('GPL-2.0-only WITH Classpath-exception-2.0'), false)
  assert.equal(allowed('Apache-2.0+'), true)
  assert.equal(allowed('GPL-2.0+'), false)
  assert.equal(allowed('UNLICENSED'), false)
  for (const malformed of ['', 'MIT OR', '(MIT', 'MIT)', 'SEE LICENSE IN LICENSE.md', 'MIT/X11', 'AND MIT']) {
    assert.throws(() => parseSpdx(malformed), SyntaxError, malformed)
  }
})

test('a manifest\'s licence, in the current and the deprecated forms', () => {
  assert.equal(licenceProblem({ license: 'ISC' }), undefined)
  assert.equal(licenceProblem({ license: { type: 'MIT' } }), undefined)
  assert.equal(licenceProblem({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] }), undefined)
  assert.match(licenceProblem({ licenses: [{ type: 'MIT' }, { type: 'GPL-2.0' }] }), /GPL-2\.0.*not in the allow-list/)
  assert.equal(licenceProblem({}), 'no licence declared')
  assert.match(licenceProblem({ license: 'SEE LICENSE IN EULA.txt' }), /not an SPDX expression/)
  assert.match(licenceProblem({ license: 'SSPL-1.0' }), /SSPL-1\.0 is not in the allow-list/)
})

/** Writes `<dir>/package.json` from a manifest. */
function writePackage (dir, manifest) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
}

test('the licence check walks production dependencies and names each offender with its version', (t) => {
  const root = join(temporaryDirectory(t), 'pkg')
  writePackage(root, {
    name: 'pkg',
    version: '1.0.0',
    license: 'MIT',
    dependencies: { fine: '^1.0.0', copyleft: '^2.0.0', absent: '^1.0.0' },
    optionalDependencies: { 'other-platform': '^1.0.0' },
    peerDependencies: { host: '^1.0.0', extra: '^1.0.0' },
    peerDependenciesMeta: { extra: { optional: true } },
    devDependencies: { 'dev-only': '^1.0.0' }
  })
  writePackage(join(root, 'node_modules/fine'), { name: 'fine', version: '1.2.3', license: '(MIT OR Apache-2.0)' })
  writePackage(join(root, 'node_modules/copyleft'), {
    name: 'copyleft', version: '2.0.1', license: 'GPL-3.0-or-later', dependencies: { deep: '*' }
  })
  // Found the way Node finds it: beside, not inside, the package that needs it.
  writePackage(join(root, 'node_modules/deep'), { name: 'deep', version: '0.1.0' })
  writePackage(join(root, 'node_modules/host'), { name: 'host', version: '1.0.0', license: 'SSPL-1.0' })
  writePackage(join(root, 'node_modules/dev-only'), { name: 'dev-only', version: '1.0.0', license: 'GPL-3.0-only' })

  const { packages, offenders } = checkLicences([root])
  assert.deepEqual(packages.map(({ name }) => name).sort(), ['copyleft', 'deep', 'fine', 'host', 'pkg'])
  assert.deepEqual(offenders, [
    'absent (needed by pkg@1.0.0) is not installed',
    'copyleft@2.0.1: GPL-3.0-or-later is not in the allow-list',
    'deep@0.1.0: no licence declared',
    'host@1.0.0: SSPL-1.0 is not in the allow-list'
  ])
})

const goodLockfile = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

importers:

  .:
    devDependencies:
      typescript:
        specifier: ~5.9.3
        version: 5.9.3

  packages/a:
    dependencies:
      '@scope/b':
        specifier: workspace:^
        version: link:../b
      alias:
        specifier: npm:left-pad@^1.3.0
        version: left-pad@1.3.0

  packages/b:
    dependencies:
      debug:
        specifier: ^4.0.0
        version: 4.4.3(supports-color@8.1.1)

packages:

  debug@4.4.3:
    resolution: {integrity: sha512-RGwwWnwQvkVfavKVt22FGLw+xYSdzARwm0ru6DhTVA3umU5hZc28V3kO4stgYryrTlLpuvgI9GiijltAjNbcqA==}

  left-pad@1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEMY3S+PZt9Ukd+ztjyDeRNHYa5fB6kEW86gH/uyx1jJk+Q==}

  typescript@5.9.3:
    resolution: {integrity: sha512-jl1vZzPDinLr9eUt3J/t7V6FgNEw9QjvBPdysz9KfQDD41fQrC2Y4vKQdiaUpFT4bXlb1RHhLpp8wtm6M5TgSw==}
    hasBin: true

  supports-color@8.1.1:
    resolution: {integrity: sha512-MpUEN2OodtUzxvKQl72cUF7RQ5EiHsGvSsVG0ia9c5RbWGL2CI4C7EpPS8UtBIplnlzZiNuV56w+FuNxy3ty2Q==}

snapshots:

  debug@4.4.3(supports-color@8.1.1):
    dependencies:
      ms: 2.1.3
    optionalDependencies:
      supports-color: 8.1.1
    transitivePeerDependencies:
      - supports-color

  left-pad@1.3.0: {}

  typescript@5.9.3: {}

  supports-color@8.1.1: {}
`

test('a lockfile whose packages all come from the registry with sha512 passes', () => {
  assert.deepEqual(checkLockfile(goodLockfile), { packages: 4, links: 1, offenders: [] })
})

test('the repository\'s lockfile passes, and fails once a package in it comes over http', () => {
  const { packages, offenders } = checkLockfile(realLockfile)
  assert.deepEqual(offenders, [])
  assert.ok(packages > 100, `${packages} packages read`)
  const doctored = realLockfile.replace(/^ {4}resolution: \{integrity: [^}]+\}$/m,
    '    resolution: {integrity: sha512-AAAA, tarball: http://registry.example/x/-/x-1.0.0.tgz}')
  assert.match(checkLockfile(doctored).offenders.join('\n'), /a tarball over plain http \(http:\/\/registry\.example\/x\/-\/x-1\.0\.0\.tgz\)/)
})

test('each way a lockfile can leave the registry is reported, naming the package', () => {
  const offenders = (from, to) => {
    assert.ok(goodLockfile.includes(from), from)
    return checkLockfile(goodLockfile.replace(from, to)).offenders
  }
  const debugResolution = 'resolution: {integrity: sha512-RGwwWnwQvkVfavKVt22FGLw+xYSdzARwm0ru6DhTVA3umU5hZc28V3kO4stgYryrTlLpuvgI9GiijltAjNbcqA==}'
  assert.deepEqual(offenders(debugResolution, 'resolution: {tarball: https://example.com/debug-4.4.3.tgz}'),
    ['debug@4.4.3: a tarball URL, not the registry (https://example.com/debug-4.4.3.tgz)'])
  assert.deepEqual(offenders(debugResolution, 'resolution: {commit: 0123abc, repo: https://github.com/debug-js/debug.git, type: git}'),
    ['debug@4.4.3: a git repository ({commit: 0123abc, repo: https://github.com/debug-js/debug.git, type: git})'])
  assert.deepEqual(offenders(debugResolution, 'resolution: {directory: ../debug, type: directory}'),
    ['debug@4.4.3: a local directory ({directory: ../debug, type: directory})'])
  assert.deepEqual(offenders(debugResolution, 'resolution: {tarball: file:vendor/debug-4.4.3.tgz}'),
    ['debug@4.4.3: a local tarball (file:vendor/debug-4.4.3.tgz)'])
  assert.deepEqual(offenders(debugResolution, 'resolution: {integrity: sha1-2rqVdwRUCrT85T8nATfNiSJRXBY=}'),
    ['debug@4.4.3: a weak integrity hash, not sha512 ({integrity: sha1-2rqVdwRUCrT85T8nATfNiSJRXBY=})'])
  assert.deepEqual(offenders(`    ${debugResolution}\n`, ''), ['debug@4.4.3: no resolution'])
  assert.deepEqual(offenders('version: link:../b', 'version: link:../../../outside'),
    ['packages/a dependencies @scope/b: a link to ../outside, which is not a package of this workspace'])
  assert.deepEqual(offenders('version: left-pad@1.3.0', 'version: file:../left-pad'),
    ['packages/a dependencies alias: a local path (file:../left-pad)'])
  assert.deepEqual(offenders('version: 5.9.3\n', 'version: git+https://github.com/microsoft/TypeScript.git#abc\n'),
    ['. devDependencies typescript: a git source (git+https://github.com/microsoft/TypeScript.git#abc)'])
  assert.deepEqual(offenders('      ms: 2.1.3', '      ms: https://example.com/ms.tgz'),
    ['debug@4.4.3(supports-color@8.1.1) depends on ms: a tarball URL (https://example.com/ms.tgz)'])
  assert.deepEqual(offenders('  left-pad@1.3.0: {}', '  left-pad@1.3.0: {}\n\n  unlisted@1.0.0: {}'),
    ['unlisted@1.0.0: installed (snapshots) with no entry under packages, so no resolution'])
  assert.match(offenders("lockfileVersion: '9.0'", "lockfileVersion: '10.0'")[0], /format 10\.0 is not one this check reads/)
})

test('registries must be https, the default and the scoped ones, from pnpm\'s environment and .npmrc', () => {
  const registries = configuredRegistries({
    npm_config_registry: 'https://registry.npmjs.org/',
    npm_config__internal_registry: 'http://npm.internal/',
    npm_config_omit_lockfile_registry_resolved: 'true',
    PATH: '/usr/bin'
  }, 'engine-strict=false\n@corp:registry=http://npm.corp.example/\n')
  assert.deepEqual(checkRegistries(registries), [
    'registry for _internal (npm_config__internal_registry) is http://npm.internal/: packages must come over https',
    'registry for @corp (.npmrc) is http://npm.corp.example/: packages must come over https'
  ])
  assert.deepEqual(checkRegistries(configuredRegistries({ npm_config_registry: 'https://registry.npmjs.org/' })), [])
})

test('the advisory audit: an endpoint that does not answer is "could not run", high and critical advisories fail', () => {
  const refused = JSON.stringify({
    error: { code: 'ERR_PNPM_AUDIT_BAD_RESPONSE', message: 'The audit endpoint (at https://registry.npmjs.org/-/npm/v1/security/audits/quick) responded with 405: ' }
  })
  assert.deepEqual(judgeAudit({ stdout: refused, stderr: '', status: 1 }), {
    outcome: 'unavailable',
    reason: 'ERR_PNPM_AUDIT_BAD_RESPONSE: The audit endpoint (at https://registry.npmjs.org/-/npm/v1/security/audits/quick) responded with 405: '
  })
  const offline = JSON.stringify({ error: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND registry.npmjs.org' } })
  assert.equal(judgeAudit({ stdout: offline, stderr: '', status: 1 }).outcome, 'unavailable')

  const advisory = (severity, name) => ({
    module_name: name,
    severity,
    title: `${severity} in ${name}`,
    vulnerable_versions: '<2.0.0',
    patched_versions: '>=2.0.0',
    url: `https://github.com/advisories/GHSA-${name}`,
    findings: [{ version: '1.0.0', paths: [`packages/a > ${name}`] }]
  })
  const report = (...advisories) => JSON.stringify({
    advisories: Object.fromEntries(advisories.map((entry, i) => [String(i), entry])),
    metadata: { vulnerabilities: {} }
  })
  assert.deepEqual(judgeAudit({ stdout: report(), stderr: '', status: 0 }), { outcome: 'passed', findings: [] })
  assert.deepEqual(judgeAudit({ stdout: report(advisory('moderate', 'meh')), stderr: '', status: 0 }), { outcome: 'passed', findings: [] })
  assert.deepEqual(judgeAudit({ stdout: report(advisory('critical', 'bad'), advisory('low', 'meh'), advisory('high', 'worse')), stderr: '', status: 1 }), {
    outcome: 'failed',
    findings: [
      'critical: bad@1.0.0 (vulnerable <2.0.0, patched >=2.0.0): critical in bad https://github.com/advisories/GHSA-bad',
      'high: worse@1.0.0 (vulnerable <2.0.0, patched >=2.0.0): high in worse https://github.com/advisories/GHSA-worse'
    ]
  })

  // Anything else is not the endpoint's silence: it fails, with what pnpm said.
  const broken = JSON.stringify({ error: { code: 'ERR_PNPM_AUDIT_NO_LOCKFILE', message: 'No pnpm-lock.yaml found' } })
  assert.deepEqual(judgeAudit({ stdout: broken, stderr: '', status: 1 }),
    { outcome: 'error', reason: 'ERR_PNPM_AUDIT_NO_LOCKFILE: No pnpm-lock.yaml found' })
  assert.equal(judgeAudit({ stdout: 'Segmentation fault', stderr: '', status: 139 }).outcome, 'error')
})

test('pnpm run audit fails, naming the offenders, on a doctored lockfile and on a package with a fake licence', (t) => {
  const dir = temporaryDirectory(t)
  const lockfile = join(dir, 'pnpm-lock.yaml')
  writeFileSync(lockfile, goodLockfile.replace('version: 5.9.3\n', 'version: http://example.com/typescript-5.9.3.tgz\n'))
  const fake = join(dir, 'fake')
  writePackage(fake, { name: 'fake', version: '6.6.6', license: 'LicenseRef-Proprietary' })

  const run = spawnSync(process.execPath, [join(repo, 'scripts/audit.mjs'), '--skip-advisories', '--lockfile', lockfile, '--packages', fake], {
    encoding: 'utf8', env: { ...process.env, npm_config_registry: 'https://registry.npmjs.org/' }
  })
  assert.equal(run.status, 1, run.stdout + run.stderr)
  assert.match(run.stdout, /audit licences: FAILED, 1 problem\n {2}fake@6\.6\.6: LicenseRef-Proprietary is not in the allow-list/)
  assert.match(run.stdout, /audit lockfile: FAILED, 1 problem\n {2}\. devDependencies typescript: plain http \(http:\/\/example\.com\/typescript-5\.9\.3\.tgz\)/)
})
