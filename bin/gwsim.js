#!/usr/bin/env node
// The package's `gwsim` command: the build (dist/, made by `prepack`) does the work. A tarball
// packed with scripts off (`npm pack --ignore-scripts`, or ignore-scripts in the npm config) on a
// tree never built has no dist/; say so, instead of the shell's "gwsim: not found".
import { existsSync } from 'node:fs';

const cli = new URL('../dist/gwsim.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'gwsim: this package has no build (dist/ is missing): it was packed with scripts off.\n' +
      'Pack it again with scripts on (npm pack runs the build), or run npm run build before npm pack --ignore-scripts.\n',
  );
  process.exit(2);
}
await import(cli.href);
