// Checks every built package the way a consumer's tooling would see it: publint for the
// package.json shape and are-the-types-wrong for the types each resolution mode loads.
// Run after `npm run build`; exits non-zero on the first package that fails either check.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const packagesDir = join(root, 'packages')
const bin = (name) => join(root, 'node_modules', '.bin', name)

let failed = false

for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name)
  if (!existsSync(join(dir, 'package.json'))) continue

  if (!existsSync(join(dir, 'dist'))) {
    console.error(`@ballast/${name}: no dist folder, run \`npm run build\` first`)
    failed = true
    continue
  }

  for (const [tool, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'node16']],
  ]) {
    try {
      execFileSync(bin(tool), args, { cwd: dir, stdio: 'inherit' })
    } catch {
      console.error(`@ballast/${name}: ${tool} failed`)
      failed = true
    }
  }
}

process.exit(failed ? 1 : 0)
