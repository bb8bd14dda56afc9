import { defineConfig } from 'vitest/config'
import root from '../vitest.config.js'

/**
 * The chaos tools' own tests (the fault proxy, the balancer), with the root's aliases:
 * `npx vitest run --config chaos/vitest.config.ts`. They are fast and need no database.
 */
export default defineConfig({
  ...root,
  test: { ...root.test, include: ['chaos/test/**/*.test.ts'] },
})
