import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'test-output/**', '.ci/bin/**']
  }),
  {
    // A TypeBox schema and its Static type share one name (the type-provider-typebox idiom).
    files: ['schemas/**/*.ts'],
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
