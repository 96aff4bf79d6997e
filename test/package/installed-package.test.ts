// A TEST OF THE INSTALLED PACKAGE, not of the source: `npm pack`, `npm install` of the tarball
// into an empty project (from the npm cache), then every command once, run from that install,
// as a user who typed `npm i gwsim` would. Slow by nature (about two minutes on two cores), so it
// runs on its own, after the rest (`npm run test:package`, test/package/vitest.config.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveWrk } from '../../src/bench/wrk.js';
import { binPath } from '../../src/optional-deps.js';
import { collect, exited, ROOT, within } from '../helpers/cli.js';
import { DEV } from '../helpers/sim.js';
import { cleanEnv, installInto, pack, type Packed } from './install.js';

const INSTALL_MS = 240_000;
const COMMAND_MS = 120_000;

let dir: string;
let project: string;
let packed: Packed;
const started: ChildProcess[] = [];
/** The gateway `gwsim serve` started from the install; verify, conformance and load use it. */
let gateway: { child: ChildProcess; url: string } | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-installed-'));
  project = join(dir, 'project');
  mkdirSync(project);
  packed = await pack(dir);
  const install = await installInto(project, packed.tarball, INSTALL_MS);
  const kB = (n: number) => `${Math.round(n / 1024)} kB`;
  console.log(
    `installed package: ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked, ${packed.files.length} files; npm install ${install.mode}: ${(install.ms / 1000).toFixed(1)} s`,
  );
}, INSTALL_MS + 60_000);

afterAll(async () => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true }); // an install: thousands of files
}, 120_000);

/** `gwsim …` through the install's own bin link, in the project. */
function installed(args: string[]): ChildProcess {
  const child = spawn(join(project, 'node_modules', '.bin', 'gwsim'), args, {
    cwd: project,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return child;
}

async function run(args: string[], ms = COMMAND_MS): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = installed(args);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const { code } = await within(exited(child), `gwsim ${args.join(' ')} to exit`, ms);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Start a long-running command; its ready line's URL. */
async function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = installed(args);
  const stderr = collect(child.stderr);
  const line = await within(
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`gwsim ${args[0]} exited with ${code}: ${stderr()}`)));
    }),
    `gwsim ${args[0]}'s ready line`,
    30_000,
  );
  expect(line).toMatch(ready);
  return { child, url: ready.exec(line)![1]! };
}

/** A program in the project, run by node (its imports resolve from the project's node_modules). */
async function node(file: string, ms = COMMAND_MS): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [file], { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const { code } = await within(exited(child), `node ${file}`, ms);
  return { code, stdout: stdout(), stderr: stderr() };
}

const needGateway = () => {
  if (!gateway) throw new Error('no gateway: the serve test failed');
  return gateway.url;
};

describe('the installed package (npm pack → npm install → every command from the install)', () => {
  it('ships the pacts, the spec, the catalog and the CLI; installs the optional dependencies and the @types/node peer', () => {
    for (const f of [
      'bin/gwsim.js',
      'dist/gwsim.js',
      'dist/cli/main.js',
      'dist/index.d.ts',
      'openapi/gateway.yaml',
      'openapi/node.yaml',
      'src/catalog/models.yaml',
      'contracts/pacts/gwsim-client-api-in-one-gateway.json',
      'contracts/pacts/api-in-one-gateway-provider-node.json',
    ]) {
      expect(packed.files).toContain(f);
    }
    expect(packed.files).not.toContain('dist/.tsbuildinfo');
    expect(packed.files).not.toContain('dist/gwsim.meta.json');
    expect(packed.files.some((f) => f.startsWith('test/'))).toBe(false);
    // npm asks users to approve install scripts, and the install has no tsc to build with.
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'gwsim', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(manifest.scripts?.[hook], `the installed package.json's ${hook} script`).toBeUndefined();
    for (const dep of ['@pact-foundation/pact', '@stoplight/prism-cli', 'autocannon', '@types/node'])
      expect(existsSync(join(project, 'node_modules', dep, 'package.json')), dep).toBe(true);
  });

  it('--version, --help and a command’s --help', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(await run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('gwsim conformance') as string,
    });
    expect(await run(['serve', '--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^gwsim serve: /) as string,
    });
  });

  it('serve: prints its ready line and serves the API', async () => {
    gateway = await start(
      ['serve', '--port', '0', '--clock', 'manual', '--seed', '5'],
      /^gwsim listening on (http:\/\/127\.0\.0\.1:\d+)$/,
    );
    const res = await fetch(`${gateway.url}/api/v1/models`, { headers: { authorization: `Bearer ${DEV}` } });
    expect(res.status).toBe(200);
  });

  it('node: prints its ready line, answers health, stops on SIGTERM', async () => {
    const n = await start(
      ['node', '--id', 'node48', '--port', '0'],
      /^gwsim node node48 listening on (http:\/\/127\.0\.0\.1:\d+)$/,
    );
    expect((await fetch(`${n.url}/v1/health`)).status).toBe(200);
    n.child.kill('SIGTERM');
    expect(await within(exited(n.child), 'gwsim node to stop')).toEqual({ code: 0, signal: null });
  });

  it(
    'verify: the shipped pacts (the --pacts default) against the installed gateway',
    async () => {
      const { code, stdout, stderr } = await run([
        'verify',
        '--provider',
        'api-in-one-gateway',
        '--provider-base-url',
        needGateway(),
      ]);
      expect(stderr).toBe('');
      expect(stdout).toContain('PASS  gwsim-client → api-in-one-gateway');
      expect(stdout).toContain(join('node_modules', 'gwsim', 'contracts', 'pacts'));
      expect(stdout).toContain('1 passed, 0 failed');
      expect(code).toBe(0);
    },
    COMMAND_MS + 10_000,
  );

  it(
    'conformance: Prism found by module resolution, zero violations',
    async () => {
      const { code, stdout } = await run(['conformance', '--target', needGateway()]);
      expect(stdout).toMatch(/\d+ passed, 0 failed/);
      expect(code).toBe(0);
    },
    COMMAND_MS + 10_000,
  );

  it(
    'load, in two shards, then load merge',
    async () => {
      const shard = (i: number) => [
        'load',
        '--target',
        needGateway(),
        '--key',
        DEV,
        '--rate',
        '4',
        '--duration',
        '1s',
        '--journey',
        'submit',
        '--threshold',
        'errors == 0',
        '--shard',
        `${i}/2`,
        '--out',
        join(dir, `shard${i}.json`),
      ];
      for (const i of [1, 2]) expect(await run(shard(i))).toMatchObject({ code: 0 });
      const merged = join(dir, 'merged.json');
      const { code } = await run([
        'load',
        'merge',
        join(dir, 'shard1.json'),
        join(dir, 'shard2.json'),
        '--out',
        merged,
        '--html',
        join(dir, 'merged.html'),
      ]);
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(merged, 'utf8')) as {
        runs: number;
        shards: string[];
        passed: boolean;
        arrivals: { started: number };
      };
      expect(report).toMatchObject({ runs: 2, shards: ['1/2', '2/2'], passed: true, arrivals: { started: 4 } });
    },
    3 * COMMAND_MS,
  );

  it('bench --quick', async (ctx) => {
    if (!(await haveWrk())) {
      if (process.env.CI === 'true')
        throw new Error(
          'wrk is not on PATH, and CI=true forbids skipping the installed bench (apt-get install -y wrk)',
        );
      console.warn('SKIPPED gwsim bench --quick from the install: wrk is not on PATH');
      ctx.skip();
    }
    const { code, stdout, stderr } = await run(['bench', '--quick', '--json', join(dir, 'bench.json')], 240_000);
    // On a failure, what it said: a bench that stops early prints its reason on stderr.
    expect(stderr).toContain('gwsim bench --quick');
    expect(stdout, stderr.slice(-4000)).toContain('submit gwsim/prism');
    expect(stdout).toContain('load generator/autocannon');
    expect(code, stderr.slice(-4000)).toBe(0);
  }, 250_000);

  it("import { startSimulator, runLoad } from 'gwsim' in a script", async () => {
    const script = join(project, 'use.mjs');
    writeFileSync(
      script,
      `import { startSimulator, createGatewayClient, runLoad, parseScenario } from 'gwsim';
const sim = await startSimulator({ port: 0, clock: 'manual', seed: 3 });
try {
  const credits = await createGatewayClient({ baseUrl: sim.url, apiKey: 'aio_dev_key' }).getCredits();
  const scenario = parseScenario({ rate: 4, duration: '500ms', journeys: { submit: 1 }, mix: [{ model: 'imagen4' }] });
  const report = await runLoad({ target: sim.url, key: 'aio_dev_key', scenario });
  console.log(JSON.stringify({ url: sim.url, balance: credits.balance, accepted: report.journeys.accepted }));
} finally {
  await sim.close();
}
`,
    );
    const { code, stdout, stderr } = await node(script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as string,
      balance: 10_000,
      accepted: 2,
    });
  });

  it("require('gwsim') from CommonJS (Node 20.19+ loads ESM by require; TypeScript's nodenext emits it)", async () => {
    const script = join(project, 'use.cjs');
    writeFileSync(
      script,
      "const g = require('gwsim'); console.log(typeof g.startSimulator, typeof g.verifyWebhook);\n",
    );
    const { code, stdout, stderr } = await node(script);
    expect(stderr).toBe('');
    expect(stdout).toBe('function function\n');
    expect(code).toBe(0);
  });

  it(
    'a TypeScript consumer type-checks against the installed types (strict, lib check on)',
    async () => {
      writeFileSync(
        join(project, 'consumer.ts'),
        `import { startSimulator, runLoad, parseScenario, type Simulator, type LoadReport, type ScenarioInput, type TaskView } from 'gwsim';
const input: ScenarioInput = { rate: 1, duration: '1s', mix: [{ model: 'imagen4' }] };
const sim: Simulator = await startSimulator({ port: 0, clock: 'manual' });
const report: LoadReport = await runLoad({ target: sim.url, key: 'aio_dev_key', scenario: parseScenario(input) });
const done: TaskView['status'][] = ['COMPLETED', 'FAILED'];
await sim.clock.advance(1000);
await sim.close();
export const summary = { started: report.arrivals.started, passed: report.passed, done };
`,
      );
      const tsconfig = {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.ts'],
      };
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = spawn(process.execPath, [binPath('typescript', 'tsc', 'the consumer check'), '-p', project], {
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(tsc);
      const out = collect(tsc.stdout);
      const { code } = await within(exited(tsc), 'tsc on the consumer', COMMAND_MS);
      expect(out()).toBe('');
      expect(code).toBe(0);
    },
    COMMAND_MS + 10_000,
  );

  // Last: it takes packages out of the install, as `npm i gwsim --omit=optional` would leave it.
  it('without the optional dependencies, verify, conformance and bench name the package to install', async () => {
    for (const dep of ['@pact-foundation/pact', '@stoplight/prism-cli'])
      rmSync(join(project, 'node_modules', dep), { recursive: true, force: true });
    const url = needGateway();
    const cases: Array<[string[], string]> = [
      [
        ['verify', '--provider-base-url', url],
        "gwsim verify needs @pact-foundation/pact, which is not installed (an optional dependency of gwsim): npm i '@pact-foundation/pact@^",
      ],
      [
        ['conformance', '--target', url],
        "gwsim conformance needs @stoplight/prism-cli, which is not installed (an optional dependency of gwsim): npm i '@stoplight/prism-cli@^",
      ],
    ];
    if (await haveWrk())
      cases.push([['bench', '--quick'], 'gwsim bench needs @stoplight/prism-cli'] as [string[], string]);
    for (const [args, hint] of cases) {
      const { code, stderr } = await run(args);
      expect(stderr).toContain(hint);
      expect(stderr).not.toContain('    at '); // no stack trace
      expect(code).toBe(2);
    }
    expect(await run(['--help'])).toMatchObject({ code: 0 });
  });
});
