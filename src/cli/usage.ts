// Every command's usage, apart from the commands, so `gwsim --help` loads none of them.
export const SERVE_USAGE = `gwsim serve [--host 127.0.0.1] [--port 4100] [--config FILE] [--seed N]
            [--time-scale X] [--clock real|manual] [--store memory|redis://HOST:PORT/DB] [--workers N] [--no-admin]`;
export const NODE_USAGE = `gwsim node --id NODE [--host 127.0.0.1] [--port 0] [--config FILE] [--seed N]
            [--time-scale X] [--clock real|manual]`;
export const VERIFY_USAGE = `gwsim verify --pacts DIR --provider-base-url URL [--provider NAME] [--header 'K: V']… [--key KEY] [--live]
             [--max-credits 50] [--dry-run] [--state-key 'STATE=aio_…']… [--junit FILE] [--debug]`;
export const CONFORMANCE_USAGE = `gwsim conformance --target URL [--spec FILE] [--key KEY] [--junit FILE]`;
export { LOAD_USAGE } from '../load/usage.js';
