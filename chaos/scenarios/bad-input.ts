import net from 'node:net'
import fc from 'fast-check'
import type { Landlord } from '../support/database'
import { countBy } from '../support/figures'
import type { Answer, Call, RawBody } from '../support/http'
import { check, type Scenario } from '../support/scenario'
import { setUpStage } from '../support/stage'

/**
 * What an answer must never contain: a stack frame, a module path, SQL, a PostgreSQL error
 * text, a physical function name, or an error object's `stack`.
 */
const STACK_LEAKS: readonly RegExp[] = [
  /\bat .+\.(ts|js|mjs|cjs):\d+/,
  /node_modules/,
  /"stack"\s*:/,
]

const LEAKS: readonly RegExp[] = [
  ...STACK_LEAKS,
  /\b(select .+ from|insert into|update .+ set|delete from)\b/i,
  /syntax error|violates|constraint|relation "|column "|pg_|plpgsql|ERROR:/i,
]

/**
 * A physical function name (`list_properties__v1`) in an API answer. The operator endpoints
 * (`/health-enhanced/*`, `/metrics`) report them on purpose and are left out of this rule.
 */
const PHYSICAL_NAME = /__v\d+/

const OPERATOR_PATHS = /^\/(health-enhanced|metrics)\b/

const ROUTES = [
  ['GET', '/properties'],
  ['POST', '/properties'],
  ['GET', '/properties/:id'],
  ['PATCH', '/properties/:id'],
  ['DELETE', '/properties/:id'],
  ['GET', '/properties/:id/units'],
  ['POST', '/properties/:id/units'],
  ['PATCH', '/units/:id'],
  ['DELETE', '/units/:id'],
  ['GET', '/dashboard'],
  ['GET', '/health/ping'],
  ['GET', '/health/ready'],
  ['GET', '/health-enhanced/system'],
  ['GET', '/health-enhanced/performance'],
  ['PUT', '/properties/:id'],
  ['OPTIONS', '/properties'],
] as const

type Method = (typeof ROUTES)[number][0]

/** One generated request. */
interface Attempt {
  readonly method: Method
  readonly path: string
  readonly authorization: string | undefined
  readonly body: RawBody | undefined
}

const sqlish = fc.constantFrom(
  "'; drop table properties; --",
  '1 OR 1=1',
  "1' union select token_hash from api_tokens --",
  '$1',
  '\\x00',
  '%00',
  '"',
  "O'Brien",
  '\u0000',
  '💥'.repeat(50),
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
  '${7*7}',
  '<script>alert(1)</script>',
)

const id = fc.oneof(
  fc.integer(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('0', '-1', '1e3', '0x10', '2147483648', '99999999999999999999', '1.5', 'NaN'),
  fc.constantFrom('%2e%2e', '..', '.', '%2F', '1%20OR%201=1', '%00', '1;', '1/', '', 'null'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
)

const fieldNames = fc.constantFrom(
  'name',
  'address',
  'city',
  'postalCode',
  'kind',
  'label',
  'rentCents',
  'bedrooms',
  'areaSqm',
  'status',
  'tenantName',
  'leaseEnd',
  '__proto__',
  'constructor',
  'landlordId',
  'id',
)

const wrongValue = fc.oneof(
  fc.jsonValue(),
  sqlish,
  fc.constantFrom(-1, 0, 1.5, 1e308, -1e308, 2 ** 53, '5', true, null, [], {}, 'x'.repeat(600)),
)

const json = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fieldNames, wrongValue, { maxKeys: 8 }),
  fc.record({ name: sqlish, address: sqlish, city: sqlish }),
  fc.record({ label: sqlish, rentCents: fc.integer() }),
)

const jsonBody = (type: string) => (value: unknown) => ({
  raw: JSON.stringify(value) ?? 'null',
  contentType: type,
})

const body: fc.Arbitrary<RawBody | undefined> = fc.oneof(
  json.map(jsonBody('application/json')),
  json.map(jsonBody('application/json; charset=utf-8')),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({
    raw: Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]),
    contentType: 'application/json',
  })),
  fc.constantFrom<RawBody | undefined>(
    undefined,
    { raw: '', contentType: 'application/json' },
    { raw: '{"name": "x"', contentType: 'application/json' },
    { raw: 'x'.repeat(17_000), contentType: 'application/json' },
    { raw: `{"name":"${'x'.repeat(2_000_000)}"}`, contentType: 'application/json' },
    { raw: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, contentType: 'application/json' },
    { raw: '{"name":1e400}', contentType: 'application/json' },
    { raw: '{"__proto__": {"admin": true}, "name": "p"}', contentType: 'application/json' },
    { raw: '{"constructor": {"prototype": {"admin": true}}}', contentType: 'application/json' },
    { raw: Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe]), contentType: 'application/json' },
    { raw: Buffer.from('{"name":"\uD800"}'), contentType: 'application/json' },
    { raw: '<xml/>', contentType: 'application/xml' },
    { raw: 'a=1', contentType: 'application/x-www-form-urlencoded' },
    { raw: 'name=x', contentType: 'text/plain' },
    { raw: '--b\r\n\r\nx\r\n--b--', contentType: 'multipart/form-data; boundary=b' },
    { raw: '{"name":"x"}', contentType: 'application/json; charset=latin1' },
  ),
)

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?limit=-1',
    '?limit=abc',
    '?limit=1e2',
    '?offset=1e9',
    '?limit=1&limit=2',
    '?%zz=1',
    '?limit[]=1',
    '?__proto__[x]=1',
    '?limit=100&offset=1000000',
    '?offset=1;select%201',
  ),
  fc.string({ maxLength: 20 }).map((text) => `?limit=${encodeURIComponent(text)}`),
)

/** Header values Node's client can send: no control characters other than tab. */
const headerSafe = (text: string) => !/[^\t\x20-\x7e\x80-\xff]/.test(text)

/**
 * Builds the generator of requests. Tokens are missing, malformed, forged (well-formed but
 * unknown), the wrong scheme, or a real landlord's, so authorised paths are reached too.
 */
function attempts(landlords: readonly Landlord[]): fc.Arbitrary<Attempt> {
  const real = landlords.map((l) => `Bearer ${l.token}`)
  const authorization = fc.oneof(
    fc.constantFrom(...real, undefined),
    fc.constantFrom(...real),
    fc.stringMatching(/^[A-Za-z0-9._~+/=-]{8,64}$/).map((forged) => `Bearer ${forged}`),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'bearer demo-alice-token',
      'Basic ZGVtbzpkZW1v',
      `Bearer ${'a'.repeat(300)}`,
      'Bearer demo-alice-token extra',
      "Bearer ' or 1=1 --",
    ),
    fc.string({ maxLength: 300 }).filter(headerSafe),
  )

  return fc
    .record({ route: fc.constantFrom(...ROUTES), id, authorization, body, query })
    .map((drawn) => {
      const method: Method = drawn.route[0]
      const sendsBody = method === 'POST' || method === 'PATCH' || method === 'PUT'
      return {
        method,
        path: drawn.route[1].replace(':id', String(drawn.id)) + drawn.query,
        authorization: drawn.authorization,
        body: sendsBody ? drawn.body : undefined,
      }
    })
}

/** Paths and requests that no well-behaved client sends, written on a raw socket. */
function rawRequests(landlord: Landlord, otherProperty: number): string[] {
  const auth = `Authorization: Bearer ${landlord.token}\r\n`
  const close = 'Connection: close\r\n\r\n'
  const post = `POST /properties HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`
  const get = (target: string) =>
    `GET ${target} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`

  return [
    get(`/properties/1/../${otherProperty}`),
    get(`/properties/%2e%2e/${otherProperty}`),
    get('/properties/..%2f..%2fetc%2fpasswd'),
    get('/properties//1'),
    get('/properties/1/'),
    get('/PROPERTIES'),
    get('/properties/%00'),
    get('/properties/%C3%28'),
    get(`/properties/${'9'.repeat(500)}`),
    get('http://evil.example/properties'),
    get('*'),
    get('/properties?limit=%'),
    `GET /properties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u0001bad\r\n${close}`,
    `GET /properties HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20_000)}\r\n${close}`,
    `${post}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n${close}0\r\n\r\n`,
    `${post}Content-Length: -1\r\n${close}`,
    `GET /properties HTTP/9.9\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
    `BREW /properties HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    'GARBAGE\r\n\r\n',
  ]
}

/**
 * How long a client that stops sending its body may hold a connection before a 408: the
 * server's `requestTimeout` (10 s) and some slack. The stall is watched longer than that (up
 * to `STALL_WATCH_MS`, beside the generated requests) to measure when it is cut if it is late.
 */
const STALL_LIMIT_MS = 12_000
const STALL_WATCH_MS = 95_000

/** The server's body limit (16 KiB): larger bodies are refused with 413 before parsing. */
const BODY_LIMIT_BYTES = 16 * 1024

/** How many bodies of 2 MB are sent (four at a time), to count how often the 413 arrives. */
const OVERSIZED_PROBES = 40

/** A body shorter than its Content-Length: the server waits for the rest. */
function stalledRequest(landlord: Landlord): string {
  return (
    'POST /properties HTTP/1.1\r\nHost: x\r\n' +
    `Authorization: Bearer ${landlord.token}\r\nContent-Type: application/json\r\n` +
    'Content-Length: 100\r\nConnection: close\r\n\r\n{"name":"short"}'
  )
}

interface Verdict {
  readonly request: string
  readonly status: number
  readonly problems: readonly string[]
  /** A body over the limit whose connection was reset before its answer could be read. */
  readonly oversizedReset?: boolean
}

/** Whether an answer is a reset of a request whose body was over the limit. */
function isOversizedReset(body: RawBody | undefined, answer: Pick<Answer, 'status' | 'error'>) {
  const size = body === undefined ? 0 : Buffer.byteLength(body.raw)
  return (
    size > BODY_LIMIT_BYTES && answer.status === 0 && /EPIPE|ECONNRESET/.test(answer.error ?? '')
  )
}

/** Everything wrong with one answer; empty when it is a safe answer. */
function problemsOf(
  path: string,
  method: string,
  answer: Pick<Answer, 'status' | 'text' | 'headers' | 'error'>,
): string[] {
  const problems: string[] = []
  if (answer.status === 0) return [`no answer (${answer.error ?? 'closed'})`]
  if (answer.status >= 500) problems.push(`status ${answer.status}`)
  const metrics = path.startsWith('/metrics')
  const type = String(answer.headers['content-type'] ?? '')
  if (!metrics && method !== 'HEAD' && !/json/.test(type)) problems.push(`content-type "${type}"`)
  if (answer.status >= 400) {
    let parsed: unknown
    try {
      parsed = JSON.parse(answer.text)
    } catch {
      problems.push('error body is not JSON')
    }
    const fields = parsed as { error?: unknown; message?: unknown } | undefined
    if (typeof fields?.error !== 'string' || typeof fields?.message !== 'string') {
      problems.push('error body lacks error and message')
    }
  }
  // A success may echo data the fuzzer stored (a property named "1 OR 1=1"); SQL and
  // database error texts are looked for in error answers, stack traces in every answer.
  const rules = answer.status >= 400 ? LEAKS : STACK_LEAKS
  for (const leak of rules) if (leak.test(answer.text)) problems.push(`leaks ${leak.source}`)
  if (!OPERATOR_PATHS.test(path) && PHYSICAL_NAME.test(answer.text)) {
    problems.push(`leaks ${PHYSICAL_NAME.source}`)
  }

  return problems
}

/**
 * Scenario 6. Requests generated by fast-check against every route over a real port:
 * random JSON, wrong types, oversized bodies, broken UTF-8, SQL metacharacters, huge and
 * negative ids, path tricks, missing and forged tokens; then malformed HTTP on a raw
 * socket; then 40 bodies of 2 MB, and, beside all of it, one request whose body stops short.
 * Judged: never a 5xx, never a stack trace or SQL text, every answer JSON, every error a
 * JSON body with `error` and `message`, every request answered (a body over the limit with
 * its 413, not a reset), and the stalled body cut off with a 4xx within 12 s.
 */
export const badInputScenario: Scenario = {
  name: 'bad-input',
  title: 'Bad input on every route',
  timeLimitSeconds: () => 120,
  async run(context) {
    const runs = context.settings.quick ? 500 : 4_000
    const seed = Date.now() % 2 ** 31
    const stage = await setUpStage(context, {
      landlords: 3,
      propertiesEach: 3,
      clientTimeoutMs: 10_000,
    })
    const generated = fc.sample(attempts(stage.landlords), { numRuns: runs, seed })
    const verdicts: Verdict[] = []
    const [landlord, other] = stage.landlords as [Landlord, Landlord]
    // The stall runs beside everything else: it is one idle connection.
    const stallWatchMs = context.settings.quick ? STALL_LIMIT_MS : STALL_WATCH_MS
    const stallStarted = performance.now()
    const stalling = sendRaw(stage.instance.url, stalledRequest(landlord), stallWatchMs).then(
      (answer) => ({ answer, ms: performance.now() - stallStarted }),
    )

    let index = 0
    const worker = async () => {
      while (index < generated.length && !context.signal.aborted) {
        const attempt = generated[index++] as Attempt
        const call: Call = {
          method: attempt.method,
          path: attempt.path,
          ...(attempt.authorization === undefined
            ? {}
            : { headers: { authorization: attempt.authorization } }),
          ...(attempt.body === undefined ? {} : { body: attempt.body }),
        }
        const answer = await stage.client.send(call)
        const oversizedReset = isOversizedReset(attempt.body, answer)
        verdicts.push({
          request: `${attempt.method} ${attempt.path.slice(0, 120)}`,
          status: answer.status,
          problems: oversizedReset ? [] : problemsOf(attempt.path, attempt.method, answer),
          oversizedReset,
        })
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    context.log(`${verdicts.length} generated requests sent (seed ${seed})`)

    const raw = rawRequests(landlord, other.propertyIds[0] as number)
    for (const request of raw) {
      const answer = await sendRaw(stage.instance.url, request)
      const [method = '', target = ''] = request.split(' ')
      verdicts.push({
        request: `raw ${JSON.stringify(request.slice(0, 60))}`,
        status: answer.status,
        problems: problemsOf(target, method, answer),
      })
    }

    const oversized = { answered413: 0, reset: 0, other: 0 }
    const big: RawBody = {
      raw: `{"name":"${'x'.repeat(2_000_000)}"}`,
      contentType: 'application/json',
    }
    let probe = 0
    const prober = async () => {
      while (probe++ < OVERSIZED_PROBES && !context.signal.aborted) {
        const call: Call = { method: 'POST', path: '/properties', token: landlord.token, body: big }
        const answer = await stage.client.send(call)
        if (answer.status === 413) oversized.answered413++
        else if (isOversizedReset(big, answer)) oversized.reset++
        else oversized.other++
      }
    }
    await Promise.all([prober(), prober(), prober(), prober()])
    const generatedResets = verdicts.filter((v) => v.oversizedReset === true).length
    const generatedOversized = generated.filter(
      (a) => a.body !== undefined && Buffer.byteLength(a.body.raw) > BODY_LIMIT_BYTES,
    ).length

    const { answer: stalled, ms: stallMs } = await stalling
    const stallAnswered = stalled.status >= 400 && stalled.status < 500
    const stallInTime = stallAnswered && stallMs <= STALL_LIMIT_MS
    const seconds = (ms: number) => Math.round(ms / 100) / 10

    const bad = verdicts.filter((v) => v.problems.length > 0)
    const fiveHundreds = verdicts.filter((v) => v.status >= 500)
    const leaks = verdicts.filter((v) => v.problems.some((p) => p.startsWith('leaks')))
    const notJson = verdicts.filter((v) =>
      v.problems.some((p) => /JSON|content-type|lacks/.test(p)),
    )
    const unanswered = verdicts.filter((v) => v.status === 0 && v.oversizedReset !== true)

    return {
      checks: [
        check(
          '5xx answers',
          '0',
          `${fiveHundreds.length} of ${verdicts.length}`,
          fiveHundreds.length === 0,
        ),
        check(
          'stack traces or SQL in answers',
          '0',
          `${leaks.length} of ${verdicts.length}`,
          leaks.length === 0,
        ),
        check(
          'answers not JSON, errors without error+message',
          '0',
          `${notJson.length} of ${verdicts.length}`,
          notJson.length === 0,
        ),
        check(
          'requests left without an answer',
          '0',
          `${unanswered.length} of ${verdicts.length}`,
          unanswered.length === 0,
        ),
        check(
          'a body over the 16 KiB limit gets its 413',
          `all ${OVERSIZED_PROBES} of 2 MB, none reset`,
          `${oversized.answered413} of ${OVERSIZED_PROBES}, ${oversized.reset} reset ` +
            `(generated: ${generatedResets} of ${generatedOversized} reset)`,
          oversized.answered413 === OVERSIZED_PROBES && generatedResets === 0,
        ),
        check(
          'a body that stops short is cut off',
          `4xx within ${STALL_LIMIT_MS / 1_000} s`,
          stallAnswered
            ? `${stalled.status} after ${seconds(stallMs)} s`
            : `no answer within ${seconds(stallMs)} s: the connection is held`,
          stallInTime,
        ),
      ],
      figures: {
        seed,
        generated: generated.length,
        raw: raw.length,
        oversized: { probes: OVERSIZED_PROBES, ...oversized, generatedOversized, generatedResets },
        stall: { answeredStatus: stalled.status, seconds: seconds(stallMs) },
        statuses: countBy(verdicts, (v) => String(v.status)),
        violations: byProblem(bad),
      },
      notes: Object.entries(byProblem(bad)).map(
        ([problem, { count, examples }]) => `${problem} (${count}x), e.g. ${examples[0]}`,
      ),
    }
  },
}

/** Violations grouped by problem, with a few requests that showed each. */
function byProblem(bad: readonly Verdict[]): Record<string, { count: number; examples: string[] }> {
  const groups: Record<string, { count: number; examples: string[] }> = {}
  for (const verdict of bad) {
    for (const problem of verdict.problems) {
      const group = groups[problem] ?? { count: 0, examples: [] }
      group.count++
      if (group.examples.length < 3) group.examples.push(`${verdict.request} -> ${verdict.status}`)
      groups[problem] = group
    }
  }
  return groups
}

/**
 * Writes `request` on a new socket and reads the answer until the server closes. The
 * socket is not half-closed: Node's HTTP server drops a request still in progress when the
 * client ends its side first.
 */
function sendRaw(
  url: string,
  request: string,
  timeoutMs = 5_000,
): Promise<Pick<Answer, 'status' | 'text' | 'headers' | 'error'>> {
  const { hostname, port } = new URL(url)

  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = net.connect({ host: hostname, port: Number(port) })
    let error: string | undefined
    socket.setTimeout(timeoutMs, () => {
      error = 'timeout'
      socket.destroy()
    })
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message
    })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('close', () => resolve(parseRaw(Buffer.concat(chunks).toString('utf8'), error)))
    socket.write(request)
  })
}

function parseRaw(
  text: string,
  error: string | undefined,
): Pick<Answer, 'status' | 'text' | 'headers' | 'error'> {
  const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')))
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = text.slice(head.length + 4)
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body)

  return { status, text: body, headers, error: status === 0 ? (error ?? 'closed') : undefined }
}

function unchunk(body: string): string {
  let out = ''
  let rest = body
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n')
    const size = Number.parseInt(rest.slice(0, end), 16)
    if (!Number.isFinite(size) || size === 0) break
    out += rest.slice(end + 2, end + 2 + size)
    rest = rest.slice(end + 2 + size + 2)
  }
  return out
}
