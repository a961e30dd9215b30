// The advisory audit: `pnpm audit --prod --audit-level high`, which asks the registry's advisory
// endpoint about every production dependency. Registries and mirrors that do not serve that
// endpoint answer 405 (the npm registry as this repository's CI reaches it does); then, or
// without a network, the audit could not run, and says so without failing.

import { spawnSync } from 'node:child_process'

const FAILING = new Set(['high', 'critical'])

// pnpm's codes for "the endpoint gave no answer": an HTTP error status, or no connection.
const UNREACHABLE = /^(ERR_PNPM_AUDIT_BAD_RESPONSE|ERR_PNPM_AUDIT_ENDPOINT_NOT_EXISTS|ERR_PNPM_FETCH_\w+|ERR_PNPM_META_FETCH_FAIL|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT|UND_ERR_\w+|CERT_\w+|UNABLE_TO_\w+|SELF_SIGNED_CERT_IN_CHAIN)$/

/**
 * Judges what `pnpm audit --json` printed. `passed` or `failed` when the endpoint answered (the
 * findings are the high and critical advisories), `unavailable` when it could not be asked, and
 * `error` for anything else (pnpm could not read the lockfile, say), which fails the audit too.
 */
export function judgeAudit ({ stdout, stderr, status, spawnError }) {
  if (spawnError !== undefined) return { outcome: 'error', reason: `pnpm could not be started: ${spawnError.message}` }
  let report
  try {
    report = JSON.parse(stdout)
  } catch {
    const output = `${stdout}\n${stderr}`.trim()
    return { outcome: 'error', reason: `pnpm audit exited with ${status} and printed no report: ${output.slice(0, 2000) || '(nothing)'}` }
  }
  if (report?.error !== undefined) {
    const { code, message } = report.error
    return UNREACHABLE.test(code ?? '')
      ? { outcome: 'unavailable', reason: `${code}: ${message}` }
      : { outcome: 'error', reason: `${code ?? 'pnpm audit'}: ${message}` }
  }
  if (typeof report?.advisories !== 'object' || report.advisories === null) {
    return { outcome: 'error', reason: `pnpm audit printed a report with no advisories member: ${stdout.slice(0, 500)}` }
  }
  const findings = Object.values(report.advisories)
    .filter((advisory) => FAILING.has(advisory.severity))
    .map((advisory) => {
      const versions = [...new Set((advisory.findings ?? []).map((finding) => finding.version))].join(', ')
      return `${advisory.severity}: ${advisory.module_name}@${versions || advisory.vulnerable_versions} ` +
        `(vulnerable ${advisory.vulnerable_versions}, patched ${advisory.patched_versions}): ${advisory.title} ${advisory.url ?? ''}`.trim()
    })
  return { outcome: findings.length > 0 ? 'failed' : 'passed', findings }
}

/** The command that runs pnpm: the one running this script when there is one, else `pnpm`. */
export function pnpmCommand () {
  const execpath = process.env.npm_execpath
  return execpath !== undefined && /pnpm/.test(execpath)
    ? [process.execPath, [execpath]]
    : ['pnpm', []]
}

/** Runs the audit in `cwd` and judges it. */
export function runAdvisoryAudit (cwd, timeoutMs = 120_000) {
  const [command, prefix] = pnpmCommand()
  const run = spawnSync(command, [...prefix, 'audit', '--prod', '--audit-level', 'high', '--json'], {
    cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024
  })
  if (run.error?.code === 'ETIMEDOUT') return { outcome: 'unavailable', reason: `no answer within ${timeoutMs / 1000} s` }
  return judgeAudit({ stdout: run.stdout ?? '', stderr: run.stderr ?? '', status: run.status, spawnError: run.error })
}
