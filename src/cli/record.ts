import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startRecorder } from '../record/recorder.js';
import { scrubPattern } from '../record/scrub.js';
import { intFlag, listenFlag, UsageError, urlFlag } from './flags.js';

const DEFAULT_PORT = 4101;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `gwsim record`: a recording proxy in front of a gateway, writing HAR 1.2 until SIGINT/SIGTERM. */
export async function record(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      target: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
      scrub: { type: 'string', multiple: true },
      'webhook-listen': { type: 'string' },
    },
  });
  const target = urlFlag('target', values.target, 'https://apiin.one');
  if (target === undefined)
    throw new UsageError('--target URL is required: the gateway to record (e.g. https://apiin.one)');
  if (!values.out) throw new UsageError('--out FILE.har is required: where the recording goes');
  const scrub = (values.scrub ?? []).map((source) => {
    try {
      return scrubPattern(source);
    } catch (err) {
      throw new UsageError(`--scrub '${source}' is not a regular expression: ${(err as Error).message}`);
    }
  });
  const recorder = await startRecorder({
    target,
    host: values.host ?? '127.0.0.1',
    port: intFlag('port', values.port, 0, 65535) ?? DEFAULT_PORT,
    out: values.out,
    scrub,
    ...(values['webhook-listen'] !== undefined
      ? { webhookListen: listenFlag('webhook-listen', values['webhook-listen']) }
      : {}),
    creator: { name: 'gwsim record', version: version() },
    onError: (message) => process.stderr.write(`gwsim record: ${message}\n`),
  });
  process.stdout.write(`gwsim record listening on ${recorder.url}\n`);
  if (recorder.webhookUrl) process.stdout.write(`gwsim record webhooks on ${recorder.webhookUrl}\n`);
  const stop = (signal: string) => {
    process.stderr.write(`gwsim record: ${signal}, finishing exchanges in flight\n`);
    void recorder.close().then(() => {
      process.stderr.write(`gwsim record: ${recorder.entries} exchanges in ${values.out}\n`);
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
