/** Import rules checked by `npm run lint`: no cycles, and the library never imports the CLI or tests. */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'library-not-cli', severity: 'error', from: { path: '^src/(?!cli/)' }, to: { path: '^src/cli/' } },
    { name: 'src-not-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|contracts)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
