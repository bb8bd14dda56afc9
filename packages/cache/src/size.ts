/**
 * A rough, fast estimate of how many bytes of heap a value occupies, for the byte bound.
 *
 * It walks plain data (strings, numbers, arrays, plain objects, Maps, Sets, Buffers, Dates)
 * and charges V8's usual costs: two bytes per string character, eight per number, a fixed
 * header per object plus a slot per property. It undercounts values that share structure
 * and ignores hidden class overhead, so treat `maxBytes` as a budget for the data, and leave
 * headroom in the process. Pass `sizeOf` to the cache when you know better (for example the
 * byte length of the JSON you already hold).
 */
export function estimateBytes(value: unknown): number {
  return measure(value, 0)
}

const OBJECT_HEADER = 24
const SLOT = 8
const MAX_DEPTH = 32

function measure(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2
    case 'number':
    case 'bigint':
      return 8
    case 'boolean':
    case 'undefined':
    case 'symbol':
    case 'function':
      return SLOT
    default:
      break
  }

  if (value === null) return SLOT
  if (depth >= MAX_DEPTH) return OBJECT_HEADER

  return measureObject(value as object, depth + 1)
}

function measureObject(value: object, depth: number): number {
  if (ArrayBuffer.isView(value)) return OBJECT_HEADER + value.byteLength
  if (value instanceof ArrayBuffer) return OBJECT_HEADER + value.byteLength
  if (value instanceof Date) return OBJECT_HEADER + SLOT

  let total = OBJECT_HEADER

  if (Array.isArray(value)) {
    for (const item of value) total += SLOT + measure(item, depth)
    return total
  }

  if (value instanceof Map) {
    for (const [key, item] of value) total += 2 * SLOT + measure(key, depth) + measure(item, depth)
    return total
  }

  if (value instanceof Set) {
    for (const item of value) total += SLOT + measure(item, depth)
    return total
  }

  for (const key in value) {
    total += SLOT + measure(key, depth) + measure((value as Record<string, unknown>)[key], depth)
  }

  return total
}
