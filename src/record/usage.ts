// Usage of the commands that hold the simulator against recorded traffic, apart from them so `gwsim --help` loads none.
export const RECORD_USAGE = `gwsim record --target URL --out FILE.har [--host 127.0.0.1] [--port 4101] [--scrub REGEX]…
            [--webhook-listen HOST:PORT]`;
export const DIFF_USAGE = `gwsim diff FILE.har [--against URL | --config FILE] [--ignore PATH]… [--json FILE] [--junit FILE]`;
export const CALIBRATE_USAGE = `gwsim calibrate FILE.har --out CONFIG.yaml [--min-samples N]`;
