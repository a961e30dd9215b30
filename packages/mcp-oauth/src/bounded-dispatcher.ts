import { Dispatcher, getGlobalDispatcher } from 'undici'

/** What any answer of the authorization server may take: time and bytes. */
export interface AnswerLimits {
  /** From the request sent to the last byte of the answer. */
  timeoutMs: number
  /** The answer's body, as received (a larger one is cut off as soon as it is seen). */
  maxBytes: number
}

/** An answer that took longer than `timeoutMs`. */
export class AnswerTimeoutError extends Error {
  readonly code = 'MCP_OAUTH_ANSWER_TIMEOUT'
}

/** An answer larger than `maxBytes`. */
export class AnswerTooLargeError extends Error {
  readonly code = 'MCP_OAUTH_ANSWER_TOO_LARGE'
}

type Handler = Dispatcher.DispatchHandler
type Abort = (reason?: Error) => void

function contentLength (rawHeaders: Array<Buffer | string> | string[] | null | undefined): number | undefined {
  if (rawHeaders == null) return undefined
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (String(rawHeaders[i]).toLowerCase() === 'content-length') return Number(String(rawHeaders[i + 1]))
  }
  return undefined
}

/**
 * Passes one exchange through to the handler of its caller (undici's `request`, or `fetch`), and
 * ends it with an error when the deadline passes or the body grows past the cap. The handler API
 * is undici's classic one (`onConnect`, `onHeaders`, `onData`, ...), which every undici
 * dispatcher accepts, Node's bundled one included.
 */
class BoundedHandler implements Handler {
  readonly #inner: Handler
  readonly #limits: AnswerLimits
  readonly #url: string
  readonly #timer: NodeJS.Timeout
  #abort: Abort | undefined
  #received = 0
  #settled = false
  #failure: Error | undefined

  constructor (inner: Handler, limits: AnswerLimits, url: string) {
    this.#inner = inner
    this.#limits = limits
    this.#url = url
    this.#timer = setTimeout(() => this.#fail(new AnswerTimeoutError(`${url}: no complete answer within ${limits.timeoutMs} ms`)), limits.timeoutMs)
    this.#timer.unref()
  }

  /** Ends the exchange: through undici when it is connected (it then calls `onError`), else here. */
  #fail (error: Error): void {
    if (this.#settled || this.#failure !== undefined) return
    this.#failure = error
    if (this.#abort !== undefined) {
      this.#abort(error)
      return
    }
    this.#settle()
    this.#inner.onError?.(error)
  }

  #settle (): void {
    this.#settled = true
    clearTimeout(this.#timer)
  }

  onConnect (abort: Abort, context?: unknown): void {
    if (this.#settled) {
      abort(this.#failure)
      return
    }
    this.#abort = abort
    // undici passes a context beside `abort` that its own handlers read; the types leave it out.
    ;(this.#inner.onConnect as ((abort: Abort, context?: unknown) => void) | undefined)?.call(this.#inner, abort, context)
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.#settled || this.#failure !== undefined) return false
    const length = contentLength(rawHeaders)
    if (length !== undefined && length > this.#limits.maxBytes) {
      this.#fail(new AnswerTooLargeError(`${this.#url}: an answer of ${length} bytes is larger than ${this.#limits.maxBytes}`))
      return false
    }
    return this.#inner.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true
  }

  onData (chunk: Buffer): boolean {
    // After a failure, nothing more reaches the caller, even before undici reports the abort.
    if (this.#settled || this.#failure !== undefined) return false
    this.#received += chunk.length
    if (this.#received > this.#limits.maxBytes) {
      this.#fail(new AnswerTooLargeError(`${this.#url}: the answer is larger than ${this.#limits.maxBytes} bytes`))
      return false
    }
    return this.#inner.onData?.(chunk) ?? true
  }

  onComplete (trailers: string[] | null): void {
    if (this.#settled) return
    this.#settle()
    if (this.#failure !== undefined) this.#inner.onError?.(this.#failure)
    else this.#inner.onComplete?.(trailers)
  }

  onError (error: Error): void {
    if (this.#settled) return
    this.#settle()
    this.#inner.onError?.(this.#failure ?? error)
  }

  onUpgrade (statusCode: number, headers: Buffer[] | string[] | null, socket: import('node:stream').Duplex): void {
    this.#settle()
    this.#inner.onUpgrade?.(statusCode, headers, socket)
  }

  onResponseStarted (): void {
    this.#inner.onResponseStarted?.()
  }

  onBodySent (chunkSize: number, totalBytesSent: number): void {
    this.#inner.onBodySent?.(chunkSize, totalBytesSent)
  }
}

/**
 * The dispatcher of every request mcp-oauth makes to the authorization server: the given one (or
 * undici's global dispatcher, looked up at each request), with a deadline and a size cap on every
 * answer, so a slow or huge answer can neither hang a request nor fill the memory. It owns no
 * connection: closing it closes nothing.
 */
export class BoundedDispatcher extends Dispatcher {
  readonly #base: Dispatcher | undefined
  readonly #limits: AnswerLimits

  constructor (base: Dispatcher | undefined, limits: AnswerLimits) {
    super()
    this.#base = base
    this.#limits = limits
  }

  override dispatch (options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    const url = `${String(options.origin ?? '')}${options.path}`
    return (this.#base ?? getGlobalDispatcher()).dispatch(options, new BoundedHandler(handler, this.#limits, url))
  }

  override close (): Promise<void>
  override close (callback: () => void): void
  override close (callback?: () => void): Promise<void> | undefined {
    if (callback === undefined) return Promise.resolve()
    queueMicrotask(callback)
    return undefined
  }

  override destroy (): Promise<void>
  override destroy (error: Error | null): Promise<void>
  override destroy (callback: () => void): void
  override destroy (error: Error | null, callback: () => void): void
  override destroy (...args: unknown[]): Promise<void> | undefined {
    const callback = args.find((arg): arg is () => void => typeof arg === 'function')
    if (callback === undefined) return Promise.resolve()
    queueMicrotask(callback)
    return undefined
  }
}
