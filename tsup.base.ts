import { defineConfig, type Options } from 'tsup'

/**
 * The build every package shares: ESM and CJS side by side with their own declaration files,
 * so `import` and `require` users both get types that match the code they load.
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  })
}
