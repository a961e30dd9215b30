import { Agent, createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'

export interface RoundRobinOptions {
  /**
   * A readiness route of the nodes (`'/ready'`, mcp-metrics'): each node is asked every
   * `intervalMs`, and gets requests only while it answers 200 there, as a load balancer that
   * follows health checks does. Without it, every node gets requests.
   */
  readyPath?: string
  /** How often each node's readiness is asked (default 1000 ms). */
  intervalMs?: number
}

/**
 * The smallest load balancer that matters here: every request goes to the next node in turn, no
 * session affinity at all, and answers (SSE streams included) are passed through as they come.
 * With `readyPath`, nodes that are not ready (shutting down, restarting, unreachable) are
 * skipped; a node that refuses a connection is skipped until it answers 200 again.
 */
export function createRoundRobinProxy (targets: readonly URL[], { readyPath, intervalMs = 1000 }: RoundRobinOptions = {}): Server {
  const agent = new Agent({ keepAlive: true })
  const down = new Set<string>()
  let next = 0
  const pick = (): URL | undefined => {
    for (let tried = 0; tried < targets.length; tried++) {
      const target = targets[next++ % targets.length]!
      if (!down.has(target.host)) return target
    }
    return undefined
  }
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const target = pick()
    if (target === undefined) {
      outgoing.writeHead(503).end()
      incoming.resume()
      return
    }
    const upstream = forward({
      agent,
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers
    }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      // An answer cut short (the node died mid-stream) cuts the client's connection too.
      pipeline(answer, outgoing, (error) => { if (error != null) outgoing.destroy() })
    })
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (readyPath !== undefined && error.code === 'ECONNREFUSED') down.add(target.host)
      if (!outgoing.headersSent) outgoing.writeHead(502).end()
      else outgoing.destroy()
    })
    // A client that goes away takes its upstream request with it (an SSE stream, say).
    outgoing.on('close', () => upstream.destroy())
    incoming.pipe(upstream)
  })
  if (readyPath !== undefined) {
    // One check at a time per node; one that has not answered within a second has failed.
    const asking = new Set<string>()
    const check = (target: URL): void => {
      if (asking.has(target.host)) return
      asking.add(target.host)
      const ask = forward({ agent, host: target.hostname, port: target.port, path: readyPath, timeout: Math.max(intervalMs, 1000) }, (answer) => {
        answer.resume()
        asking.delete(target.host)
        if (answer.statusCode === 200) down.delete(target.host)
        else down.add(target.host)
      })
      ask.on('timeout', () => ask.destroy(new Error('no answer')))
      ask.on('error', () => {
        asking.delete(target.host)
        down.add(target.host)
      })
      ask.end()
    }
    const timer = setInterval(() => { for (const target of targets) check(target) }, intervalMs).unref()
    server.on('close', () => {
      clearInterval(timer)
      agent.destroy()
    })
  }
  return server
}
