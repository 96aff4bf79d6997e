// Every command's help, apart from the commands, so `gwsim --help` and `gwsim X --help` load none of them.
// A USAGE is the synopsis (continuation lines indented to sit under `  gwsim …`); FLAGS explain it.
export const SERVE_USAGE = `gwsim serve [--host 127.0.0.1] [--port 4100] [--config FILE] [--seed N]
            [--time-scale X] [--clock real|manual] [--store memory|redis://HOST:PORT/DB] [--workers N] [--no-admin]
            [--log-level info] [--log-format json|pretty]`;
const SIM_FLAGS = `  --config FILE         a YAML config (the README's "Config file"); flags win over it
  --seed N              seeds task ids, latencies, outcomes and image pixels (default 1)
  --time-scale X        multiplies every emulated duration (default 1; 0 = instant)
  --clock real|manual   manual: time moves only on POST /_sim/clock/advance (default real)`;
const LOG_FLAGS = `  --log-level L         fatal, error, warn, info (default), debug, trace or silent
  --log-format F        json (default: one pino JSON object a line) or pretty (for people)`;
export const SERVE_FLAGS = `  --host H              address to bind (default 127.0.0.1); any other needs GWSIM_ADMIN_TOKEN
  --port N              port (default 4100; 0 = any free port)
${SIM_FLAGS}
  --store URL           memory (default, one process) or redis://HOST:PORT/DB (shared state)
  --workers N           N processes on one port (node:cluster); needs a Redis store
  --no-admin            no /_sim admin API (404), as on a real deployment
${LOG_FLAGS}

On ready it prints one line on stdout: gwsim listening on http://HOST:PORT; stdout gets nothing
else. Logs go to stderr, a line per request at info (req_id, api, method, operation or route,
status, latency_ms, the key masked), a line per task transition at debug. GWSIM_ADMIN_TOKEN sets the admin token. SIGINT/SIGTERM stop
it gracefully.`;

export const NODE_USAGE = `gwsim node --id NODE [--host 127.0.0.1] [--port 0] [--config FILE] [--seed N]
            [--time-scale X] [--clock real|manual] [--log-level info] [--log-format json|pretty]`;
export const NODE_FLAGS = `  --id NODE             the catalog's node to emulate (node40 … node49)
  --host H, --port N    where to listen (default 127.0.0.1, any free port)
${SIM_FLAGS}
${LOG_FLAGS}

GWSIM_NODE_TOKEN, when set, is required on the job routes. On ready it prints one line on stdout,
gwsim node NODE listening on http://HOST:PORT; logs (a line per request at info) go to stderr.`;

export const VERIFY_USAGE = `gwsim verify [--pacts DIR] --provider-base-url URL [--provider NAME] [--header 'K: V']… [--key KEY] [--live]
             [--max-credits 50] [--dry-run] [--state-key 'STATE=aio_…']… [--junit FILE] [--debug]`;
export const VERIFY_FLAGS = `  --pacts DIR               the pact files (default: the pacts shipped with gwsim)
  --provider-base-url URL   the running gateway or provider node to verify
  --provider NAME           only this provider's pacts: api-in-one-gateway,
                            api-in-one-gateway-webhooks or provider-node
  --header 'K: V'           added to every request sent to the provider (repeatable), e.g. a real key
  --key KEY                 the API key for live mode (or --header 'Authorization: Bearer …')
  --live                    live mode even if the target has /_sim (detected otherwise)
  --max-credits N           live mode's credit budget (default 50); the plan is printed first
  --dry-run                 print the live plan and spend nothing
  --state-key 'STATE=KEY'   a key that puts a live target in STATE (repeatable)
  --junit FILE              JUnit XML: a testcase per interaction
  --debug                   stack traces on failure

Provider states go through the target's /_sim admin API (GWSIM_ADMIN_TOKEN if it needs one); a
target without /_sim is verified live through the public API. Exit 1 when any pact fails.`;

export const CONFORMANCE_USAGE = `gwsim conformance --target URL [--spec FILE] [--key KEY] [--junit FILE]`;
export const CONFORMANCE_FLAGS = `  --target URL   the gateway to check, behind prism proxy --errors
  --spec FILE    the OpenAPI spec to check against (default: gwsim's openapi/gateway.yaml)
  --key KEY      the API key for the journey (default aio_dev_key)
  --junit FILE   JUnit XML: a testcase per step

Exit 1 on any spec violation, an unexpected answer, or an unreachable target.`;

export const BENCH_USAGE = `gwsim bench [--json FILE] [--quick] [--profile DIR] | gwsim bench --compare BEFORE.json AFTER.json`;
export const BENCH_FLAGS = `  --json FILE    also write the rows and measures as JSON
  --quick        a smoke run: about 1 s per measure and 2,000 tasks in flight instead of 100,000;
                 its figures are indicative only
  --profile DIR  write CPU profiles of the gwsim processes under benchmark to DIR
                 (gwsim-submit-poll.cpuprofile, gwsim-sustained.cpuprofile; open in Chrome DevTools)
  --compare      print the README's benchmark table (measure, before, after, target) from two
                 --json files of one machine; runs nothing

Needs wrk (apt-get install -y wrk); the Redis rows need redis-server on PATH. GWSIM_BENCH_SECONDS
sets the seconds per measure (default 5).`;

export { LOAD_FLAGS, LOAD_USAGE } from '../load/usage.js';
