// Usage of the commands that hold the simulator against recorded traffic, apart from them so `gwsim --help` loads none.
export const RECORD_USAGE = `gwsim record --target URL --out FILE.har [--host 127.0.0.1] [--port 4101] [--scrub REGEX]…
            [--webhook-listen HOST:PORT]`;
export const DIFF_USAGE = `gwsim diff FILE.har [--against URL | --config FILE] [--ignore PATH]… [--json FILE] [--junit FILE]`;
export const CALIBRATE_USAGE = `gwsim calibrate FILE.har --out CONFIG.yaml [--min-samples N]`;

export const RECORD_FLAGS = `  --target URL                 the gateway to record: an origin, or with a path prefix (not doubled)
  --out FILE.har               where the recording goes (written as the session goes, completed on
                               SIGINT or SIGTERM)
  --host HOST, --port N        where the proxy listens (127.0.0.1, 4101; 0 = any free port)
  --scrub REGEX                also scrub what this matches, anywhere (repeatable); Authorization,
                               cookies, aio_ keys and whsec_ secrets are always scrubbed
  --webhook-listen HOST:PORT   also record the webhook deliveries a callback_url aimed here brings`;

export const DIFF_FLAGS = `  --against URL                replay against this running gwsim (it needs /_sim), not one of its own
  --config FILE                the config of the gwsim diff starts (manual clock)
  --ignore PATH                leave a body path and all below it out (repeatable): data.queue_position,
                               $.data.attempts[], data.*.url
  --json FILE, --junit FILE    the whole report as JSON; JUnit XML (a case per route, model timing, price)

Exit 1 on any structural or price difference, 0 when only timings differ or nothing does, 2 on a
file that is not HAR, one with no API in One calls, an unreachable --against, or bad flags.`;

export const CALIBRATE_FLAGS = `  --out CONFIG.yaml            where the fitted config goes (gwsim serve --config reads it)
  --min-samples N              ended tasks a model needs for its timings and failure rate to be
                               fitted (default 5); below it, it keeps the catalog's`;
