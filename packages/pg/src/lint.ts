/** The rules of the migration linter. */
export type LintRule =
  | 'drop-table'
  | 'drop-column'
  | 'rename'
  | 'column-type'
  | 'not-null'
  | 'drop-function'

/** One thing a migration does that breaks an application version still running. */
export interface LintFinding {
  /** The rule; annotate the file with `-- ballast:allow <rule>` to accept it. */
  readonly rule: LintRule
  /** The 1-based line where the statement starts. */
  readonly line: number
  /** Why it breaks running versions. */
  readonly message: string
}

/** What the linter knows about the database. */
export interface LintOptions {
  /**
   * Functions that must stay: physical names of callable versions (`get_properties__v2`)
   * and any other names callers use. `migrate` passes the registry's callable versions.
   * @default []
   */
  readonly callable?: readonly string[]
}

const allRules: readonly LintRule[] = [
  'drop-table',
  'drop-column',
  'rename',
  'column-type',
  'not-null',
  'drop-function',
]

interface Masked {
  readonly text: string
  readonly comments: readonly string[]
}

/** Blanks out comments, string literals and dollar-quoted bodies, keeping line breaks. */
function mask(sql: string): Masked {
  let text = ''
  const comments: string[] = []
  const blank = (s: string) => s.replace(/[^\n]/g, ' ')
  let i = 0

  while (i < sql.length) {
    const rest = sql.slice(i)
    const end = tokenEnd(sql, i, rest)
    if (end === undefined) {
      text += sql[i]
      i++
      continue
    }
    const token = sql.slice(i, end)
    if (token.startsWith('--') || token.startsWith('/*')) comments.push(token)
    text += token.startsWith('"') ? token : blank(token)
    i = end
  }
  return { text, comments }
}

function tokenEnd(sql: string, i: number, rest: string): number | undefined {
  if (rest.startsWith('--')) {
    const newline = sql.indexOf('\n', i)
    return newline === -1 ? sql.length : newline
  }
  if (rest.startsWith('/*')) {
    const close = sql.indexOf('*/', i + 2)
    return close === -1 ? sql.length : close + 2
  }
  if (rest.startsWith("'")) return quotedEnd(sql, i, "'", /[eE]$/.test(sql.slice(0, i)))
  if (rest.startsWith('"')) return quotedEnd(sql, i, '"', false)
  const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest)
  if (dollar) {
    const close = sql.indexOf(dollar[0], i + dollar[0].length)
    return close === -1 ? sql.length : close + dollar[0].length
  }
  return undefined
}

function quotedEnd(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1
  while (i < sql.length) {
    if (backslashes && sql[i] === '\\') {
      i += 2
      continue
    }
    if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return i + 1
      i++
    }
    i++
  }
  return sql.length
}

function allowedRules(comments: readonly string[]): Set<string> {
  const allowed = new Set<string>()
  for (const comment of comments) {
    const match = /ballast:allow\s+([a-z-]+(?:\s*,\s*[a-z-]+)*)/.exec(comment)
    for (const rule of match?.[1]?.split(',') ?? []) allowed.add(rule.trim())
  }
  return allowed
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const char of text) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (char === ',' && depth === 0) {
      parts.push(current.trim())
      current = ''
    } else {
      current += char
    }
  }
  if (current.trim()) parts.push(current.trim())
  return parts
}

const ident = `(?:"[^"]+"|[a-z_][a-z0-9_$]*)`
const qualified = `${ident}(?:\\.${ident})?`
const alterTable = new RegExp(
  `^alter\\s+table\\s+(?:if\\s+exists\\s+)?(?:only\\s+)?(${qualified})\\s*\\*?\\s+(.*)$`,
)

function unquote(name: string): string {
  const last = name.split('.').pop() ?? name
  return last.startsWith('"') ? last.slice(1, -1) : last
}

type Report = (rule: LintRule, message: string) => void

function lintAlterTable(statement: string, report: Report): void {
  const match = alterTable.exec(statement)
  if (!match) return
  const table = match[1] ?? ''
  const rest = match[2] ?? ''

  if (/^rename\s+to\b/.test(rest)) {
    report('rename', `renaming table ${table} breaks versions that still use the old name`)
    return
  }
  if (/^rename\s+(?!constraint\b)/.test(rest)) {
    report('rename', `renaming a column of ${table} breaks versions that use the old name`)
    return
  }
  for (const action of splitTopLevel(rest)) lintAction(table, action, report)
}

function lintAction(table: string, action: string, report: Report): void {
  if (/^drop\s+(?!constraint\b)/.test(action)) {
    const column = /^drop\s+(?:column\s+)?(?:if\s+exists\s+)?(\S+)/.exec(action)?.[1]
    report('drop-column', `dropping column ${table}.${column} breaks versions that read it`)
  } else if (
    new RegExp(`^alter\\s+(?:column\\s+)?${ident}\\s+(?:set\\s+data\\s+)?type\\b`).test(action)
  ) {
    report('column-type', `changing a column type on ${table} breaks versions that rely on it`)
  } else if (
    new RegExp(`^alter\\s+(?:column\\s+)?${ident}\\s+set\\s+not\\s+null\\b`).test(action)
  ) {
    report('not-null', `SET NOT NULL on ${table} breaks versions that insert without the column`)
  } else if (
    /^add\s+(?!constraint\b|primary\b|unique\b|foreign\b|check\b|exclude\b)/.test(action)
  ) {
    const notNull = /\bnot\s+null\b/.test(action)
    if (notNull && !/\bdefault\b/.test(action) && !/\bgenerated\b/.test(action)) {
      report('not-null', `a NOT NULL column without a default on ${table} breaks older inserts`)
    }
  }
}

function lintDropFunction(statement: string, callable: ReadonlySet<string>, report: Report) {
  const match = /^drop\s+function\s+(?:if\s+exists\s+)?(.*?)(?:\s+(?:cascade|restrict))?$/.exec(
    statement,
  )
  if (!match) return
  for (const item of splitTopLevel(match[1] ?? '')) {
    const name = unquote(item.replace(/\(.*$/, '').trim())
    if (callable.has(name)) {
      report('drop-function', `function ${name} is still callable; drop it with prune instead`)
    }
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset; i++) if (text[i] === '\n') line++
  return line
}

/**
 * Flags what in a migration would break the application versions still running under
 * expand/contract: dropping a table or column, renaming a table or column, changing a
 * column type, adding NOT NULL without a default, dropping a function still callable.
 * A rule is accepted for the whole file by a comment `-- ballast:allow <rule>[, <rule>]`.
 * Comments, string literals and function bodies are not inspected. The linter reads SQL
 * text with patterns, not a parser: it catches the usual spellings of these statements,
 * not every possible one (dynamic SQL in a DO block, for instance, is not seen).
 *
 * @example
 * ```ts
 * const findings = lintMigration('alter table properties drop column price')
 * // [{ rule: 'drop-column', line: 1, message: 'dropping column properties.price ...' }]
 * ```
 */
export function lintMigration(sql: string, options: LintOptions = {}): LintFinding[] {
  const { text, comments } = mask(sql)
  const allowed = allowedRules(comments)
  const callable = new Set(options.callable ?? [])
  const findings: LintFinding[] = []
  let offset = 0

  for (const raw of text.split(';')) {
    const start = offset + (raw.length - raw.trimStart().length)
    offset += raw.length + 1
    const statement = raw.trim().toLowerCase().replace(/\s+/g, ' ')
    if (statement === '') continue

    const report: Report = (rule, message) => {
      if (!allowed.has(rule)) findings.push({ rule, line: lineOf(text, start), message })
    }
    if (/^drop\s+table\b/.test(statement)) {
      report('drop-table', 'dropping a table breaks versions that still read or write it')
    }
    lintAlterTable(statement, report)
    lintDropFunction(statement, callable, report)
  }
  return findings
}

/** The rule names the linter knows, for documentation and validation. */
export const lintRules: readonly LintRule[] = allRules
