import type { McpContext } from './context.ts'
import type { CompleteResult } from './schema/index.ts'

/**
 * Suggests values for one prompt argument or one template variable (`completion/complete`):
 * `value` is what the user typed so far, `resolved` the other arguments already known.
 */
export type Completer = (value: string, resolved: Record<string, string>, ctx: McpContext) =>
  readonly string[] | Promise<readonly string[]>

const MAX_VALUES = 100

export async function complete (
  completer: Completer | undefined, value: string, resolved: Record<string, string>, ctx: McpContext
): Promise<CompleteResult> {
  const values = completer === undefined ? [] : await completer(value, resolved, ctx)
  // At most 100 values per response (utilities/completion).
  return values.length <= MAX_VALUES
    ? { completion: { values: [...values] } }
    : { completion: { values: values.slice(0, MAX_VALUES), total: values.length, hasMore: true } }
}
