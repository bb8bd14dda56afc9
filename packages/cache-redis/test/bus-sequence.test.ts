import { afterEach, describe, expect, it, vi } from 'vitest'
import { PendingAcks } from '../src/acks'
import { type Envelope, MessageSequence, parseEnvelope } from '../src/bus-sequence'

const body = (tag: string) =>
  JSON.stringify({
    i: tag,
    f: 'sender',
    m: { namespace: 'ns', origin: 'o', tags: [tag], keys: [], mode: 'hard' },
  })
const text = (sequence: number, epoch = 'e1') => `${epoch} ${sequence} ${body(`m${sequence}`)}`
const envelope = (sequence: number, epoch = 'e1') =>
  parseEnvelope(text(sequence, epoch)) as Envelope

function sequence(maxHeld = 100) {
  const log: string[] = []
  const messages = new MessageSequence(
    {
      apply: (e) => log.push(`apply ${e.sequence}`),
      acknowledge: (e) => log.push(`ack ${e.sequence}`),
      reset: (reason) => log.push(`reset: ${reason}`),
      resync: () => log.push('resync'),
    },
    maxHeld,
  )
  messages.synced({ epoch: 'e1', sequence: 0, verdict: 'reset', log: [] })
  log.length = 0

  return { messages, log }
}

describe('MessageSequence', () => {
  it('applies and confirms messages that follow on', () => {
    const { messages, log } = sequence()

    messages.receive(envelope(1))
    messages.receive(envelope(2))

    expect(log).toEqual(['apply 1', 'ack 1', 'apply 2', 'ack 2'])
    expect(messages.applied).toBe(2)
  })

  it('only confirms a message it already applied', () => {
    const { messages, log } = sequence()
    messages.receive(envelope(1))
    log.length = 0

    messages.receive(envelope(1))

    expect(log).toEqual(['ack 1'])
  })

  it('holds messages past a gap, replays the missed ones, then handles what it held', () => {
    const { messages, log } = sequence()
    messages.receive(envelope(1))
    log.length = 0

    messages.receive(envelope(4))
    messages.receive(envelope(5))
    expect(log).toEqual(['resync'])

    const outcome = messages.synced({
      epoch: 'e1',
      sequence: 4,
      verdict: 'replay',
      log: [text(4), text(3), text(2)],
    })

    expect(outcome).toEqual({ replayed: 3, reset: false })
    expect(log).toEqual(['resync', 'apply 2', 'apply 3', 'apply 4', 'ack 4', 'apply 5', 'ack 5'])
  })

  it('resets on a message of another epoch when the log cannot bridge it', () => {
    const { messages, log } = sequence()
    messages.receive(envelope(1))
    log.length = 0

    messages.receive(envelope(1, 'e2'))
    const outcome = messages.synced({ epoch: 'e2', sequence: 1, verdict: 'reset', log: [] })

    expect(outcome).toEqual({ replayed: 0, reset: true })
    expect(log).toEqual([
      'resync',
      'reset: the channel state in Redis was lost or replaced',
      'ack 1',
    ])
  })

  it('resets when the log it was given does not hold exactly the missed messages', () => {
    const { messages, log } = sequence()

    messages.hold()
    const outcome = messages.synced({
      epoch: 'e1',
      sequence: 3,
      verdict: 'replay',
      log: [text(3), 'garbage', text(1)],
    })

    expect(outcome).toEqual({ replayed: 0, reset: true })
    expect(log).toEqual(['reset: missed more messages than the log keeps'])
    expect(messages.applied).toBe(3)
  })

  it('syncs again when more arrived during a sync than it may hold', () => {
    const { messages, log } = sequence(2)

    messages.hold()
    for (const n of [1, 2, 3]) messages.receive(envelope(n))
    messages.synced({ epoch: 'e1', sequence: 0, verdict: 'current', log: [] })

    expect(log).toEqual(['apply 1', 'ack 1', 'apply 2', 'ack 2', 'resync'])
    expect(messages.inStep).toBe(false)
  })

  it('reads envelopes and refuses malformed ones', () => {
    expect(parseEnvelope(text(7))).toMatchObject({ epoch: 'e1', sequence: 7, body: { id: 'm7' } })
    expect(parseEnvelope('e1 7 not json')).toMatchObject({ sequence: 7, body: undefined })
    expect(parseEnvelope('e1 x {}')).toBeUndefined()
    expect(parseEnvelope('nothing')).toBeUndefined()
  })
})

describe('PendingAcks', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves once every receiver confirmed, counting each once', async () => {
    const acks = new PendingAcks(10, 500)
    acks.open('1')
    acks.confirm('1', 'a')
    acks.confirm('1', 'a')

    const report = acks.wait('1', 2)
    acks.confirm('1', 'b')

    expect(await report).toEqual({ receivers: 2, acknowledged: 2 })
    expect(acks.size).toBe(0)
  })

  it('resolves with what arrived when the timeout passes', async () => {
    vi.useFakeTimers()
    const acks = new PendingAcks(10, 500)
    acks.open('1')
    const report = acks.wait('1', 3)
    acks.confirm('1', 'a')

    vi.advanceTimersByTime(500)

    expect(await report).toEqual({ receivers: 3, acknowledged: 1 })
  })

  it('refuses to wait for more than its bound', () => {
    const acks = new PendingAcks(1, 500)

    expect(acks.open('1')).toBe(true)
    expect(acks.open('2')).toBe(false)
  })
})
