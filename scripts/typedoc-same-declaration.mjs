// A TypeDoc plugin for one false warning. When a property reaches an interface through two mapped
// types (mcp-oauth's McpOAuthOptions has `issuer` from both Omit<Partial<Settings>> and
// Pick<Settings>), TypeScript gives its symbol the same declaration twice, and TypeDoc 0.28 warns
// "issuer has multiple declarations with a comment", then lists one file:line twice. That warning,
// when every location it lists is the same, is dropped; any other goes through (and fails the
// build, with treatWarningsAsErrors).
const MULTIPLE = /has multiple declarations with a comment/

/** @param {import('typedoc').Application} app */
export function load (app) {
  const { logger } = app
  const warn = logger.warn.bind(logger)
  const info = logger.info.bind(logger)
  /** The warning, held until the next line (its list of locations) shows what it is about. */
  let held
  logger.warn = (message, ...rest) => {
    if (typeof message === 'string' && MULTIPLE.test(message)) {
      held = [message, ...rest]
      return
    }
    warn(message, ...rest)
  }
  logger.info = (message, ...rest) => {
    if (held !== undefined) {
      const warning = held
      held = undefined
      const locations = String(message).split('\n').slice(1).map((line) => line.trim()).filter((line) => line !== '')
      if (locations.length > 1 && new Set(locations).size === 1) return
      warn(...warning)
    }
    info(message, ...rest)
  }
}
