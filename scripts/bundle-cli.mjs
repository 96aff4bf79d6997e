// Bundles the CLI's start-up path (the command table, `serve` and `node`) into dist/gwsim.js and
// its chunks, so `gwsim serve` reads a few files instead of ~400 modules (issue #16's ready time).
// Every other command stays tsc's output in dist/cli/, imported when run. Runs after tsc.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

// The commands main.ts imports on use that are not on the start-up path: left to tsc's dist/cli/.
const UNBUNDLED_COMMANDS = /^\.\/(verify|conformance|load|record|diff|calibrate|bench)\.js$/;

// Modules whose classes cross between the bundle and the unbundled commands (main.ts tells a
// StartupError or UsageError from a crash with instanceof): one copy, tsc's, imported by both.
const SHARED_MODULES = ['startup-error.js', 'cli/flags.js', 'optional-deps.js'];

// Left to Node's own resolution: the optional dependencies (found at run time, or named when
// missing), and packages loaded on first use rather than at start (pino-pretty for
// --log-format pretty, Express for /_sim, undici for HTTP nodes and webhooks, ioredis for --store).
const UNBUNDLED_PACKAGES = [
  '@pact-foundation/pact',
  '@stoplight/prism-cli',
  'autocannon',
  'pino-pretty',
  'express',
  'undici',
  'ioredis',
];

const result = await build({
  entryPoints: { gwsim: 'dist/cli/main.js' },
  // dist/ itself: every bundled file sits one level under the package root, as dist/paths.js
  // does, so paths.ts's `../openapi/…` and createRequire(import.meta.url) resolve the same.
  outdir: 'dist',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: identifiers stay, so stack traces still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // CommonJS dependencies (pino, prom-client) call require(): give ESM chunks a real one.
  banner: {
    js: "import { createRequire as __gwsimRequire } from 'node:module'; const require = __gwsimRequire(import.meta.url);",
  },
  external: UNBUNDLED_PACKAGES,
  plugins: [
    {
      name: 'shared-modules',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          const rel = relative(resolve('dist'), resolve(args.resolveDir, args.path)).split(sep).join('/');
          return SHARED_MODULES.includes(rel) ? { path: `./${rel}`, external: true } : undefined;
        });
      },
    },
    {
      // esbuild turns `await import('cjs-package')` into `{ default }` only, where Node also gives
      // the named exports: a bare dynamic import must be one Node resolves itself.
      name: 'dynamic-imports-stay-unbundled',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.kind === 'dynamic-import' && !UNBUNDLED_PACKAGES.includes(args.path)
            ? { errors: [{ text: `import('${args.path}') must be in UNBUNDLED_PACKAGES (scripts/bundle-cli.mjs)` }] }
            : undefined,
        );
      },
    },
    {
      name: 'unbundled-commands',
      setup(b) {
        b.onResolve({ filter: UNBUNDLED_COMMANDS }, (args) =>
          args.importer.endsWith('/dist/cli/main.js')
            ? { path: `./cli/${args.path.slice(2)}`, external: true }
            : undefined,
        );
      },
    },
  ],
  metafile: true,
  logLevel: 'warning',
});
// Chunk names carry a content hash: drop the chunks this build did not write, so no stale one
// ships. Only after the build, never before: a build running beside this one (npm pack while the
// tests build) writes the same names from the same sources, so dist/ is never without a chunk.
const written = new Set(Object.keys(result.metafile.outputs).map((out) => out.replace(/^dist\//, '')));
for (const f of readdirSync('dist')) if (/^chunk-\w+\.js$/.test(f) && !written.has(f)) rmSync(`dist/${f}`);
// Which inputs went into which chunk: the tests check `--help` loads no dependency's code.
writeFileSync('dist/gwsim.meta.json', JSON.stringify(result.metafile));
