import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFaultProxy, type FaultProxy } from '../support/fault-proxy'

/** A TCP server that answers every chunk with the same bytes in upper case. */
async function startShouter(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('data', (chunk) => socket.write(chunk.toString().toUpperCase()))
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

interface Connection {
  readonly socket: net.Socket
  /** Everything received so far. */
  received(): string
  /** Resolves with the error code or 'closed' once the socket ends. */
  readonly ended: Promise<string>
}

/** Connects; a connection reset before or after the handshake shows in `ended`. */
function connect(port: number): Promise<Connection> {
  return new Promise((resolve) => {
    let text = ''
    const socket = net.connect({ host: '127.0.0.1', port })
    const ended = new Promise<string>((done) => {
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'))
      socket.on('close', () => done('closed'))
    })
    socket.on('data', (chunk) => {
      text += chunk.toString()
    })
    const connection = { socket, received: () => text, ended }
    socket.once('connect', () => resolve(connection))
    ended.then(() => resolve(connection))
  })
}

/** Lets pending socket I/O on loopback happen. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await settle()
}

let shouter: Awaited<ReturnType<typeof startShouter>>
let proxy: FaultProxy

async function start(): Promise<void> {
  shouter = await startShouter()
  proxy = await createFaultProxy({ targetHost: '127.0.0.1', targetPort: shouter.port })
}

afterEach(async () => {
  vi.useRealTimers()
  await proxy?.close()
  await shouter?.close()
})

describe('createFaultProxy', () => {
  it('forwards bytes both ways unchanged while no fault is set', async () => {
    await start()
    const connection = await connect(proxy.port)

    connection.socket.write('select 1')
    await until(() => connection.received() === 'SELECT 1')

    expect(proxy.stats()).toMatchObject({ forwarded: 1, open: 1, refused: 0 })
    expect(proxy.urlFor('postgres://u@db.example:5432/app')).toBe(
      `postgres://u@127.0.0.1:${proxy.port}/app`,
    )
  })

  it('holds what the target sends back for the latency, keeping the order', async () => {
    await start()
    const connection = await connect(proxy.port)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    proxy.setLatency(6_000)

    connection.socket.write('a')
    await until(() => proxy.stats().delayedChunks === 1)
    vi.advanceTimersByTime(3_000)
    connection.socket.write('b')
    await until(() => proxy.stats().delayedChunks === 2)
    proxy.setLatency(0)
    connection.socket.write('c')
    await until(() => proxy.stats().delayedChunks === 3)
    expect(connection.received()).toBe('')

    vi.advanceTimersByTime(3_000)
    await until(() => connection.received() === 'A')
    vi.advanceTimersByTime(3_000)
    await until(() => connection.received() === 'ABC')
  })

  it('resets new connections while refusing, and forwards again once told to', async () => {
    await start()
    const before = await connect(proxy.port)

    proxy.refuse('reset')
    const refused = await connect(proxy.port)
    expect(await refused.ended).toBe('ECONNRESET')

    before.socket.write('still here')
    await until(() => before.received() === 'STILL HERE')

    proxy.refuse('off')
    const after = await connect(proxy.port)
    after.socket.write('back')
    await until(() => after.received() === 'BACK')
    expect(proxy.stats()).toMatchObject({ forwarded: 2, refused: 1 })
  })

  it('holds new connections without an answer while hanging, until they are cut', async () => {
    await start()
    proxy.refuse('hang')
    const held = await connect(proxy.port)

    held.socket.write('anyone?')
    await settle()
    expect(held.received()).toBe('')
    expect(proxy.stats()).toMatchObject({ open: 1, refused: 1, forwarded: 0 })

    expect(proxy.cut()).toBe(1)
    expect(await held.ended).toBe('ECONNRESET')
  })

  it('cuts every open connection and counts them', async () => {
    await start()
    const first = await connect(proxy.port)
    const second = await connect(proxy.port)
    await until(() => proxy.stats().open === 2)

    expect(proxy.cut()).toBe(2)

    expect(await first.ended).toBe('ECONNRESET')
    expect(await second.ended).toBe('ECONNRESET')
    await until(() => proxy.stats().open === 0)
    expect(proxy.stats()).toMatchObject({ cut: 2, maxOpen: 2 })
  })

  it('refuses bad options and bad faults with what was expected', async () => {
    await expect(createFaultProxy({ targetHost: '', targetPort: 5432 })).rejects.toThrow(TypeError)
    await expect(createFaultProxy({ targetHost: 'db', targetPort: 70_000 })).rejects.toThrow(
      /targetPort to be an integer from 0 to 65535, got 70000/,
    )

    await start()
    expect(() => proxy.setLatency(-1)).toThrow(RangeError)
    expect(() => proxy.refuse('drop' as never)).toThrow(/expected 'off', 'reset' or 'hang'/)
  })
})
