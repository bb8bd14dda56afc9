import { compareSignatures, normalizeType, type SignatureShape } from '@ballast/pg'
import { describe, expect, it } from 'vitest'

const base: SignatureShape = {
  arguments: [
    { name: 'city', type: 'text', mode: 'in', hasDefault: false },
    { name: 'limit_rows', type: 'integer', mode: 'in', hasDefault: true },
  ],
  resultType: 'TABLE(id integer, title text)',
  resultColumns: [
    { name: 'id', type: 'integer' },
    { name: 'title', type: 'text' },
  ],
  returnsSet: true,
  volatility: 'stable',
  definitionHash: 'a',
}

describe('compareSignatures', () => {
  it('finds nothing between equal signatures', () => {
    expect(compareSignatures(base, base, 1)).toEqual({ verdict: 'identical', differences: [] })
  })

  it('treats a lost default as breaking and a new default as compatible', () => {
    const [city, limit] = base.arguments as [
      SignatureShape['arguments'][0],
      SignatureShape['arguments'][0],
    ]
    const lost = { ...base, arguments: [city, { ...limit, hasDefault: false }] }
    expect(compareSignatures(base, lost, 1).differences).toMatchObject([
      { aspect: 'parameter-default-removed', severity: 'breaking' },
    ])
    expect(compareSignatures(lost, base, 1).differences).toMatchObject([
      { aspect: 'parameter-default-added', severity: 'compatible' },
    ])
  })

  it('treats a renamed parameter as breaking: calls by name would fail', () => {
    const [city, limit] = base.arguments as [
      SignatureShape['arguments'][0],
      SignatureShape['arguments'][0],
    ]
    const renamed = { ...base, arguments: [{ ...city, name: 'town' }, limit] }
    expect(compareSignatures(base, renamed, 3).differences).toEqual([
      {
        againstVersion: 3,
        severity: 'breaking',
        aspect: 'parameter-renamed',
        message: 'parameter city was renamed to town',
      },
    ])
  })

  it('treats reordered columns and changed volatility as compatible', () => {
    const changed: SignatureShape = {
      ...base,
      resultColumns: [...(base.resultColumns ?? [])].reverse(),
      volatility: 'volatile',
    }
    const result = compareSignatures(base, changed, 1)
    expect(result.verdict).toBe('compatible')
    expect(result.differences.map((d) => d.aspect)).toEqual(['result-column-order', 'volatility'])
  })

  it('normalises type aliases', () => {
    expect(normalizeType('int4')).toBe('integer')
    expect(normalizeType(' INT8[] ')).toBe('bigint[]')
    expect(normalizeType('timestamptz')).toBe('timestamp with time zone')
    expect(normalizeType('character   varying')).toBe('character varying')
  })
})
