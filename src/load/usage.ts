// Kept apart from the command so `gwsim --help` can show it without loading the generator.
export const LOAD_USAGE = `gwsim load --target URL --key KEY (--scenario FILE | --rate N --duration 30s [--mix MODEL=W,…])
            [--journey poll|webhook|submit] [--max-in-flight N] [--seed N] [--threshold EXPR]…
            [--out report.json] [--html report.html] [--junit FILE] [--shard i/n] [--webhook-secret whsec_…]
            [--webhook-listen HOST:PORT] [--webhook-url URL]
  gwsim load merge A.json B.json … [--out C.json] [--html C.html] [--junit FILE]`;
export const LOAD_FLAGS = `  --target URL, --key KEY           the gateway and the API key (required)
  --scenario FILE                   a scenario file (YAML; see the README), or inline:
  --rate N --duration D             arrivals per second for D (30s, 5m, …)
  --mix MODEL[=W],…                 models by weight (default imagen4)
  --journey poll|webhook|submit     what each arrival does (default poll)
  --max-in-flight N, --seed N       override the scenario's
  --threshold EXPR                  add a threshold, e.g. 'p99(submit) < 300ms' (repeatable)
  --out FILE, --html FILE           the JSON and HTML reports
  --junit FILE                      JUnit XML: a testcase per threshold
  --shard i/n                       this machine's share of the arrivals
  --webhook-secret whsec_…          the key's webhook secret, for a gateway that is not gwsim
  --webhook-listen HOST:PORT        where the webhook receiver listens (default 127.0.0.1:0)
  --webhook-url URL                 the callback URL to send instead of the receiver's address

load merge adds shard reports' histograms and counts and judges the thresholds again.
Exit 0 when every threshold holds, 99 when one is breached, 2 on bad flags, scenarios or reports.`;
