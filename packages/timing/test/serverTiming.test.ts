import { serverTiming } from '@ballast/timing'
import { describe, expect, it } from 'vitest'

describe('serverTiming', () => {
  it('formats name, dur and desc per metric, joined by a comma and a space', () => {
    const header = serverTiming([
      { name: 'db', durationMs: 12.3, description: 'GET /properties' },
      { name: 'cache', description: 'miss' },
      { name: 'total', durationMs: 40 },
      { name: 'edge' },
    ])

    expect(header).toBe('db;dur=12.3;desc="GET /properties", cache;desc="miss", total;dur=40, edge')
  })

  it('rounds durations to 0.01 ms', () => {
    expect(serverTiming([{ name: 'a', durationMs: 12.3456 }])).toBe('a;dur=12.35')
    expect(serverTiming([{ name: 'a', durationMs: 0.001 }])).toBe('a;dur=0')
    expect(serverTiming([{ name: 'a', durationMs: 0 }])).toBe('a;dur=0')
  })

  it('escapes quotes and backslashes in desc', () => {
    expect(serverTiming([{ name: 'q', description: 'say "hi" \\ bye' }])).toBe(
      'q;desc="say \\"hi\\" \\\\ bye"',
    )
  })

  it('removes control characters from desc and replaces what Latin-1 cannot hold', () => {
    const description = 'line\r\nbreak\ttab\u0000nul\u007fdel\u0085nel reçu 😀'

    expect(serverTiming([{ name: 'd', description }])).toBe('d;desc="linebreaktabnuldelnel reçu ?"')
  })

  it('accepts every token character in a name', () => {
    const name = "!#$%&'*+-.^_`|~09AZaz"

    expect(serverTiming([{ name }])).toBe(name)
  })

  it.each(['', 'GET /properties', 'db;dur=1', 'a,b', 'quote"', 'é'])(
    'rejects the non-token name %j with a TypeError',
    (name) => {
      expect(() => serverTiming([{ name: 'ok' }, { name }])).toThrow(
        new TypeError(
          "serverTiming: entries[1].name must be a token (letters, digits and !#$%&'*+-.^_`|~), " +
            `received ${JSON.stringify(name)}`,
        ),
      )
    },
  )

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects a duration of %s with a RangeError',
    (durationMs) => {
      expect(() => serverTiming([{ name: 'a', durationMs }])).toThrow(
        new RangeError(
          'serverTiming: entries[0].durationMs must be a finite number >= 0, ' +
            `received ${durationMs}`,
        ),
      )
    },
  )

  it('rejects a description that is not a string', () => {
    const description = 42 as unknown as string

    expect(() => serverTiming([{ name: 'a', description }])).toThrow(TypeError)
  })

  it('formats nothing for no entries and accepts any iterable', () => {
    function* entries() {
      yield { name: 'one', durationMs: 1 }
    }

    expect(serverTiming([])).toBe('')
    expect(serverTiming(entries())).toBe('one;dur=1')
  })
})
