/** Import rules checked by `npm run lint`: no cycles, the layering of ARCHITECTURE.md, and the library never imports the CLI or tests. */
const ORCHESTRATOR = '^src/tasks/(?!task-events\\.ts$)';
const GATEWAY_SERVICE = '^src/gateway/(service|request-validation)\\.ts$';
const GATEWAY_EDGES = '^src/gateway/(app|public-router|public-routes|http|image-route)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    { name: 'library-not-cli', severity: 'error', from: { path: '^src/(?!cli/)' }, to: { path: '^src/cli/' } },
    { name: 'src-not-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|contracts)/' } },
    {
      name: 'lower-layers-not-task-life',
      comment:
        'routing, nodes, webhooks and the store report through src/tasks/task-events.ts; only the orchestrator decides',
      severity: 'error',
      from: { path: '^src/(routing|nodes|webhooks|store|clock|rng|ledger)/' },
      to: { path: [ORCHESTRATOR, GATEWAY_SERVICE] },
    },
    {
      name: 'task-life-not-edges',
      comment: 'the orchestrator is free of HTTP: it never imports the gateway edges or the services above it',
      severity: 'error',
      from: { path: '^src/tasks/' },
      to: { path: [GATEWAY_EDGES, GATEWAY_SERVICE, '^src/admin/', '^src/wiring/', '^src/simulator\\.ts$'] },
    },
    {
      name: 'task-record-stays-low',
      comment: 'the task record type is what the store keeps: it imports nothing above it',
      severity: 'error',
      from: { path: '^src/gateway/task\\.ts$' },
      to: { path: '^src/(tasks|routing|nodes|webhooks|store|gateway/(?!task\\.ts))' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
