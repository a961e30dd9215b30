import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Registry } from 'prom-client'
import { McpMetrics } from './decorator.ts'
import { FST_MCP_METRICS_INVALID_OPTIONS } from './errors.ts'
import { expositionRoute } from './exposition.ts'
import { BUILT_IN_CHECKS, healthRoutes, Readiness } from './health.ts'
import { Labeller } from './labels.ts'
import { pressureSensor, sheddingHook } from './load-shedding.ts'
import { Instruments } from './metrics.ts'
import { kTarget, Observer } from './observer.ts'
import { resolveSettings, type McpMetricsOptions, type ReadyCheck } from './options.ts'
import { Tracing } from './tracing.ts'

function checkReadyChecks (checks: Record<string, ReadyCheck>): void {
  for (const [name, check] of Object.entries(checks)) {
    if (typeof check !== 'function') throw new FST_MCP_METRICS_INVALID_OPTIONS(`/readyChecks/${name}: must be a function`)
    if (BUILT_IN_CHECKS.includes(name)) throw new FST_MCP_METRICS_INVALID_OPTIONS(`/readyChecks/${name}: the name of a built-in check`)
  }
}

const mcpMetrics: FastifyPluginAsync<McpMetricsOptions> = async (app, options) => {
  const { registry: given, onRequest, readyChecks = {}, ...rest } = options
  const settings = resolveSettings(rest)
  checkReadyChecks(readyChecks)
  const registry = given ?? new Registry()
  const instruments = new Instruments(registry, settings)
  const tracing = settings.tracing ? new Tracing() : undefined
  const observer = new Observer(instruments, new Labeller(settings.maxNames), tracing, app.log)
  const sensor = settings.loadShedding === false ? undefined : await pressureSensor(app, settings.loadShedding)
  const readiness = new Readiness(settings.readyTimeoutMs, readyChecks, sensor)
  app.decorate('mcpMetrics', new McpMetrics(registry, tracing, readiness))

  if (!app.hasRequestDecorator(kTarget)) app.decorateRequest(kTarget, null)
  app.addHook('onSend', observer.onSend)
  if (sensor !== undefined && settings.loadShedding !== false) app.addHook('preHandler', sheddingHook(sensor, settings.loadShedding.retryAfter))
  if (settings.metricsPath !== false) expositionRoute(app, registry, settings.metricsPath, onRequest)
  healthRoutes(app, readiness, settings.healthPath, settings.readyPath)

  app.addHook('onReady', async function (this: FastifyInstance) {
    if (this.hasDecorator('mcpSessions')) readiness.watchSessions(this.mcpSessions)
    observer.subscribe()
  })
  app.addHook('preClose', (done) => {
    readiness.close()
    done()
  })
  app.addHook('onClose', async () => {
    observer.unsubscribe()
    if (given !== undefined) instruments.remove()
  })
}

export default fp(mcpMetrics, { fastify: '5.x', name: '@mcp-fastify/mcp-metrics' })
export { mcpMetrics }
export { McpMetrics } from './decorator.ts'
export { McpMetricsSettingsSchema, OPERATION_BUCKETS, SESSION_BUCKETS, SIZE_BUCKETS, type McpMetricsOptions, type McpMetricsSettings, type ReadyCheck } from './options.ts'
export type { CheckResult, ReadinessReport } from './health.ts'
export type { AuthRefusedEvent, RateLimitedEvent } from './events.ts'
export { errorCodes } from './errors.ts'
