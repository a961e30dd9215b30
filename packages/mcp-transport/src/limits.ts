import { readFileSync } from 'node:fs'

/** File descriptors kept aside for what is not a client connection (listening sockets, Redis, logs). */
const RESERVED_FILES = 64

/**
 * The process's open-file limit (soft, hard), read from `/proc/self/limits` (Linux); `undefined`
 * elsewhere. Each open stream holds a socket, so this is the limit a user hits first.
 */
export function openFileLimit (read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): { soft: number, hard: number } | undefined {
  let text: string
  try {
    text = read()
  } catch {
    // Not Linux (or no /proc): nothing to say, and nothing wrong.
    return undefined
  }
  const found = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text)
  if (found === null) return undefined
  const value = (field: string): number => field === 'unlimited' ? Number.POSITIVE_INFINITY : Number(field)
  return { soft: value(found[1]!), hard: value(found[2]!) }
}

/** How many client connections (SSE streams included) the open-file limit leaves room for. */
export function connectionRoom (limit: { soft: number }): number {
  return Math.max(0, limit.soft - RESERVED_FILES)
}
