import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { FST_MCP_METRICS_UNDER_PRESSURE } from './errors.ts'
import type { PressureGauge } from './health.ts'
import type { LoadSheddingSettings } from './options.ts'

/**
 * Measures the pressure with @fastify/under-pressure, registered in a context of its own: its
 * decorators and hook stay there (no clash with an app that registers it too), and which
 * requests are refused is decided here, by route.
 */
export async function pressureSensor (app: FastifyInstance, settings: LoadSheddingSettings): Promise<PressureGauge> {
  let sensor: PressureGauge | undefined
  await app.register(async function mcpMetricsPressureSensor (scope) {
    await scope.register(underPressure, {
      maxEventLoopDelay: settings.maxEventLoopDelay,
      maxEventLoopUtilization: settings.maxEventLoopUtilization,
      maxHeapUsedBytes: settings.maxHeapUsedBytes,
      maxRssBytes: settings.maxRssBytes,
      sampleInterval: settings.sampleInterval
    })
    sensor = { isUnderPressure: () => scope.isUnderPressure() }
  })
  return sensor!
}

/**
 * New work: a POST that carries a request (a batch with one), a GET that opens a stream. What
 * finishes work already begun goes through: notifications (cancellations), the client's answers
 * to the server's requests, resumptions (`Last-Event-ID`), DELETE.
 */
function isNewWork (request: FastifyRequest): boolean {
  if (request.method === 'GET') return request.headers['last-event-id'] === undefined
  if (request.method !== 'POST') return false
  const body = request.body
  const isRequest = (message: unknown): boolean =>
    typeof message === 'object' && message !== null && 'method' in message && 'id' in message
  return Array.isArray(body) ? body.some(isRequest) : isRequest(body)
}

/**
 * The `preHandler` hook that refuses new MCP work with 503 and `Retry-After` while the process is
 * under pressure. It acts on the routes of MCP endpoints only (`config.mcpEndpoint`, set by
 * mcp-transport): the app's own routes, health and metrics are not shed. The refusal goes
 * through the endpoint's error handler, so the client gets a JSON-RPC error.
 */
export function sheddingHook (sensor: PressureGauge, retryAfter: number) {
  const header = String(retryAfter)
  return function shedLoad (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (request.routeOptions.config.mcpEndpoint === undefined || !sensor.isUnderPressure() || !isNewWork(request)) {
      done()
      return
    }
    reply.header('retry-after', header)
    done(new FST_MCP_METRICS_UNDER_PRESSURE())
  }
}
