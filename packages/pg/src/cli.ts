#!/usr/bin/env node
import { runCheck } from './run-check'

// The `ballast-pg` command; its logic lives in run-check.ts so tests can call it.
runCheck(process.argv.slice(2), process.env).then((code) => {
  process.exitCode = code
})
