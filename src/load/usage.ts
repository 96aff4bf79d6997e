// Kept apart from the command so `gwsim --help` can show it without loading the generator.
export const LOAD_USAGE = `gwsim load --target URL --key KEY (--scenario FILE | --rate N --duration 30s [--mix MODEL=W,…])
            [--journey poll|webhook|submit] [--max-in-flight N] [--seed N] [--threshold EXPR]…
            [--out report.json] [--html report.html] [--junit FILE] [--shard i/n] [--webhook-secret whsec_…]
            [--webhook-listen HOST:PORT] [--webhook-url URL]
  gwsim load merge A.json B.json … [--out C.json] [--html C.html] [--junit FILE]`;
