import { activate, listVersions, rollback } from '@ballast/pg'
import { readConfig } from './config'
import { openDatabase } from './database'

/**
 * `npm run functions -- <command>` from the repository root, against the same database
 * `npm start` uses (stop the server first when it runs on embedded PGlite: only one process
 * may open its folder). Commands:
 *
 *   list [name]              every version with its status
 *   activate <name> <version>
 *   rollback <name>          back to the version that was active before
 *
 * A running server against a real PostgreSQL picks up an activation or rollback within a
 * second (NOTIFY, and a refresh every second), and drops what the old version had cached.
 */
async function main(args: string[]): Promise<string> {
  const [command, name, version] = args
  const config = readConfig()
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir })

  try {
    if (command === 'list') {
      const versions = await listVersions(database.db, name)
      return versions
        .map((v) => `${v.name.padEnd(22)} v${String(v.version).padEnd(4)} ${v.status}`)
        .join('\n')
    }
    if (command === 'activate' && name !== undefined && version !== undefined) {
      const result = await activate(database.db, name, Number(version))
      return `${name}: v${result.fromVersion ?? '-'} -> v${result.version}`
    }
    if (command === 'rollback' && name !== undefined) {
      const result = await rollback(database.db, name)
      return `${name}: v${result.fromVersion ?? '-'} -> v${result.version}`
    }

    throw new Error('usage: functions list [name] | activate <name> <version> | rollback <name>')
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2)).then(
  (output) => {
    process.stdout.write(`${output}\n`)
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
