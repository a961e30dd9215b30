import { Agent, createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/**
 * The smallest load balancer that matters here: every request goes to the next node in turn, no
 * session affinity at all, and answers (SSE streams included) are passed through as they come.
 */
export function createRoundRobinProxy (targets: readonly URL[]): Server {
  const agent = new Agent({ keepAlive: true })
  let next = 0
  return createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const target = targets[next++ % targets.length]!
    const upstream = forward({
      agent,
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers
    }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end()
      else outgoing.destroy()
    })
    // A client that goes away takes its upstream request with it (an SSE stream, say).
    outgoing.on('close', () => upstream.destroy())
    incoming.pipe(upstream)
  })
}
