import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type Balancer, createBalancer } from '../support/balancer'

/** An upstream that names itself in every answer and whose readiness can be switched. */
interface Upstream {
  readonly url: string
  ready: boolean
  close(): Promise<void>
}

async function startUpstream(name: string): Promise<Upstream> {
  const state = { ready: true }
  const server = http.createServer((request, response) => {
    if (request.url === '/health/ready') {
      response.writeHead(state.ready ? 200 : 503).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(name)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get ready() {
      return state.ready
    },
    set ready(value: boolean) {
      state.ready = value
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url)
  return { status: response.status, text: await response.text() }
}

let balancer: Balancer
const upstreams: Upstream[] = []

afterEach(async () => {
  await balancer?.close()
  for (const upstream of upstreams.splice(0)) await upstream.close()
})

describe('createBalancer', () => {
  it('sends requests round robin to the upstreams whose readiness answers 200', async () => {
    upstreams.push(await startUpstream('a'), await startUpstream('b'))
    balancer = await createBalancer({ pollIntervalMs: 60_000 })
    for (const upstream of upstreams) balancer.add(upstream.url)
    await balancer.poll()

    const answers = [await get(balancer.url), await get(balancer.url), await get(balancer.url)]

    expect(new Set(answers.map((a) => a.text))).toEqual(new Set(['a', 'b']))
    expect(
      balancer
        .stats()
        .upstreams.map((u) => u.answered)
        .reduce((x, y) => x + y),
    ).toBe(3)
  })

  it('takes an upstream out of rotation once its readiness fails', async () => {
    upstreams.push(await startUpstream('a'), await startUpstream('b'))
    balancer = await createBalancer({ pollIntervalMs: 60_000 })
    for (const upstream of upstreams) balancer.add(upstream.url)
    await balancer.poll()

    ;(upstreams[0] as Upstream).ready = false
    await balancer.poll()
    const answers = [await get(balancer.url), await get(balancer.url)]

    expect(answers.map((a) => a.text)).toEqual(['b', 'b'])
  })

  it('answers 503 itself with no upstream ready, and 502 for one it cannot reach', async () => {
    const gone = await startUpstream('gone')
    balancer = await createBalancer({ pollIntervalMs: 60_000 })
    balancer.add(gone.url)
    expect((await get(balancer.url)).status).toBe(503)

    await balancer.poll()
    await gone.close()
    const answer = await get(balancer.url)

    expect(answer.status).toBe(502)
    expect(balancer.stats()).toMatchObject({
      noUpstream: 1,
      upstreams: [expect.objectContaining({ forwarded: 1, answered: 0 })],
    })
  })

  it('refuses a poll interval that is not positive', async () => {
    await expect(createBalancer({ pollIntervalMs: 0 })).rejects.toThrow(
      /expected pollIntervalMs > 0, got 0/,
    )
  })
})
