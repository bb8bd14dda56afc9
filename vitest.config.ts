import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const packageNames = ['cache', 'cache-redis', 'breaker', 'timing', 'pg', 'health']

/**
 * One vitest run covers every package and example. Tests import packages by their public
 * names; the aliases point those names at the sources so no build is needed first.
 */
export default defineConfig({
  resolve: {
    alias: Object.fromEntries(
      packageNames.map((name) => [
        `@ballast/${name}`,
        fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
      ]),
    ),
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'chaos/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
