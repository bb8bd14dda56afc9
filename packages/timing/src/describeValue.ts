/**
 * Renders a rejected option value for an error message, without calling
 * user code (no `toString`) and without dumping whole objects.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' && value !== null) return 'an object'

  return String(value)
}
