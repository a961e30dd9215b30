import type { Context } from '@opentelemetry/api'
import { context } from '@opentelemetry/api'
import type { Registry } from 'prom-client'
import type { Readiness, ReadinessReport } from './health.ts'
import type { Tracing } from './tracing.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Metrics, traces and readiness of the MCP endpoints (mcp-metrics). */
    mcpMetrics: McpMetrics
  }
}

/** `app.mcpMetrics`: what the plugin measures, for apps that serve or extend it themselves. */
export class McpMetrics {
  /** The prom-client registry the metrics are in (add the app's own metrics here). */
  readonly registry: Registry
  readonly #tracing: Tracing | undefined
  readonly #readiness: Readiness

  /**
   * Built by the plugin; apps use the instance at `app.mcpMetrics`.
   *
   * @internal
   */
  constructor (registry: Registry, tracing: Tracing | undefined, readiness: Readiness) {
    this.registry = registry
    this.#tracing = tracing
    this.#readiness = readiness
  }

  /** The exposition, in the Prometheus text format (what the metrics route answers). */
  metrics (): Promise<string> {
    return this.registry.metrics()
  }

  /** Its `Content-Type`. */
  get contentType (): string {
    return this.registry.contentType
  }

  /** What the readiness route answers (200 when `status` is `ok`, else 503). */
  readiness (): Promise<ReadinessReport> {
    return this.#readiness.report()
  }

  /**
   * Takes the instance out of rotation before it closes: from now on the readiness route answers
   * 503 (check `closing`) while everything else is served as before. `app.close()` refuses new
   * requests at once (Fastify's 503), so a load balancer must stop sending them first: call this,
   * wait until it has noticed (its health-check interval times the failures it needs), then
   * close. See "Shutting down" in the README.
   */
  notReady (): void {
    this.#readiness.close()
  }

  /**
   * The OpenTelemetry context of the MCP request a handler serves (pass `ctx`, the handler's
   * second argument), holding the request's span: `context.with(app.mcpMetrics.traceContext(ctx), fn)`
   * makes the spans `fn` starts its children. The active context when there is no such span.
   */
  traceContext (ctx: { extra: object }): Context {
    return this.#tracing?.contextOf(ctx.extra) ?? context.active()
  }
}
