import type { FastifyInstance } from 'fastify'
import type { ReadyCheck } from './options.ts'

export interface CheckResult {
  ok: boolean
  /** Why it failed, in terms fit for anyone who can reach `/ready`: no host, port or upstream text. */
  reason?: string
}

/** A check's result with what only the log gets: the error it failed with. */
interface CheckOutcome extends CheckResult {
  error?: unknown
}

export interface ReadinessReport {
  /** `ok`: send traffic here; `unavailable`: not now (starting, shutting down, a dependency down, overloaded). */
  status: 'ok' | 'unavailable'
  checks: Record<string, CheckResult>
}

/** What readiness asks of the load-shedding sensor. */
export interface PressureGauge {
  isUnderPressure (): boolean
}

/** Names of the checks mcp-metrics makes itself; `readyChecks` must not take them. */
export const BUILT_IN_CHECKS = ['sessionStore', 'pressure', 'closing']

/**
 * What `/ready` may say of a failed check: the message of an error made for an HTTP answer (a
 * Fastify error with a status code, such as mcp-oauth's 503), which its plugin wrote for anyone
 * to read; of anything else (a Redis error naming a host and port), nothing.
 */
function publicReason (error: unknown): string {
  const { statusCode, message } = (error ?? {}) as { statusCode?: unknown, message?: unknown }
  return typeof statusCode === 'number' && typeof message === 'string' ? message : 'the check failed (the log says why)'
}

/** Runs one check, which fails when it rejects, throws, or has not answered within `timeoutMs`. */
function run (check: ReadyCheck, timeoutMs: number): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs).unref()
    Promise.resolve().then(check).then(
      () => { clearTimeout(timer); resolve({ ok: true }) },
      (error: unknown) => { clearTimeout(timer); resolve({ ok: false, reason: publicReason(error), error }) })
  })
}

/** What readiness needs of mcp-session (its `McpSessions`), without depending on it. */
export interface SessionStoreHealth {
  health (): Promise<{ ok: true } | { ok: false, reason: string }>
}

/**
 * Whether this instance should get traffic: not while it is closing, nor while the session store
 * does not answer (a Redis store that is down), nor while it sheds load, nor while a check of the
 * app's fails.
 */
export class Readiness {
  readonly #timeoutMs: number
  readonly #checks = new Map<string, ReadyCheck>()
  readonly #pressure: PressureGauge | undefined
  #closing = false

  constructor (timeoutMs: number, checks: Record<string, ReadyCheck>, pressure: PressureGauge | undefined) {
    this.#timeoutMs = timeoutMs
    this.#pressure = pressure
    for (const [name, check] of Object.entries(checks)) this.#checks.set(name, check)
  }

  /** Checks the session store of the context (its `ping()`, through mcp-session's `McpSessions.health()`). */
  watchSessions (sessions: SessionStoreHealth): void {
    this.#checks.set('sessionStore', async () => {
      const health = await sessions.health()
      if (!health.ok) throw new Error(health.reason)
    })
  }

  /** From now on (`app.mcpMetrics.notReady()`, or the start of `app.close()`), the instance is not ready. */
  close (): void {
    this.#closing = true
  }

  /** The report; `failed` hears each check that failed with its error, for the log. */
  async report (failed: (name: string, error: unknown) => void = () => {}): Promise<ReadinessReport> {
    if (this.#closing) return { status: 'unavailable', checks: { closing: { ok: false, reason: 'the server is shutting down' } } }
    const checks: Record<string, CheckResult> = {}
    const names = [...this.#checks.keys()]
    const results = await Promise.all(names.map((name) => run(this.#checks.get(name)!, this.#timeoutMs)))
    names.forEach((name, index) => {
      const { error, ...result } = results[index]!
      if (!result.ok) failed(name, error)
      checks[name] = result
    })
    if (this.#pressure !== undefined) {
      checks.pressure = this.#pressure.isUnderPressure() ? { ok: false, reason: 'under pressure: new MCP work is refused' } : { ok: true }
    }
    const ok = Object.values(checks).every((check) => check.ok)
    return { status: ok ? 'ok' : 'unavailable', checks }
  }
}

/** `GET healthPath` (liveness: the process answers) and `GET readyPath` (readiness, 200 or 503). */
export function healthRoutes (app: FastifyInstance, readiness: Readiness, healthPath: string | false, readyPath: string | false): void {
  if (healthPath !== false) {
    app.get(healthPath, async () => ({ status: 'ok' }))
  }
  if (readyPath !== false) {
    // A load balancer asks every few seconds: a failing check is logged at most every 10 s.
    const lastLogged = new Map<string, number>()
    app.get(readyPath, async (request, reply) => {
      const report = await readiness.report((name, error) => {
        const now = Date.now()
        if (now - (lastLogged.get(name) ?? 0) < 10_000) return
        lastLogged.set(name, now)
        request.log.warn({ err: error, check: name }, 'mcp-metrics: a readiness check failed')
      })
      if (report.status !== 'ok') reply.code(503)
      return report
    })
  }
}
