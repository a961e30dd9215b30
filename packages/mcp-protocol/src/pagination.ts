import { ErrorCode, McpError } from './errors.ts'

export interface Page<T> {
  items: T[]
  nextCursor: string | undefined
}

/**
 * One page of `items`. Cursors are opaque to clients (utilities/pagination); ours carry the
 * offset of the next page. An unreadable cursor is invalid params (-32602).
 */
export function paginate<T> (items: readonly T[], cursor: string | undefined, pageSize: number): Page<T> {
  const start = cursor === undefined ? 0 : readCursor(cursor)
  const end = start + pageSize
  return {
    items: items.slice(start, end),
    nextCursor: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined
  }
}

function readCursor (cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString()
  // Only what `paginate` issues: the canonical base64url of a positive decimal integer.
  const offset = /^[1-9][0-9]*$/.test(text) && Buffer.from(text).toString('base64url') === cursor ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(offset)) {
    throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor')
  }
  return offset
}
