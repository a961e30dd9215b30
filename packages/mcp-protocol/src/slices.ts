/** Streams written to in one turn of the event loop by a fan-out. */
const DELIVERY_SLICE = 512

/**
 * Calls `deliver` on each of `targets`, `size` deliveries a turn of the event loop (the rest
 * after a `setImmediate`), so a fan-out to tens of thousands of streams lets the event loop serve
 * requests in between. `deliver` answers whether it wrote anything (a target it skips does not
 * count).
 */
export function inSlices<T> (targets: Iterator<T>, deliver: (target: T) => boolean, size = DELIVERY_SLICE): void {
  const slice = (): void => {
    for (let done = 0; done < size;) {
      const next = targets.next()
      if (next.done === true) return
      if (deliver(next.value)) done++
    }
    setImmediate(slice)
  }
  slice()
}
