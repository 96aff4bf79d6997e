import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 4, 8, 16, 32, 64];

/** One public request answered: its status and wall time (see `Metrics.requestMeter`). */
export type RequestMeter = (status: number, seconds: number) => void;

/** A `gwsim_requests_total` series counted in a plain number until prom-client collects it. */
interface PendingCount {
  readonly labels: { readonly operation: string; readonly status: number };
  n: number;
}

/**
 * Everything `/_sim/metrics` reports, on a registry of this simulator's own (two simulators in
 * one process never share counters). Gauges read live state through the callbacks given.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation' | 'status'>;
  readonly requestSeconds: Histogram<'operation'>;
  readonly tasks: Counter<'model' | 'status'>;
  readonly taskFailures: Counter<'model' | 'code'>;
  readonly taskSeconds: Histogram<'model'>;
  readonly nodeCalls: Counter<'node' | 'call' | 'outcome'>;
  readonly nodeCallSeconds: Histogram<'node' | 'call'>;
  readonly failovers: Counter<'model' | 'from' | 'to'>;
  readonly circuitState: Gauge<'node'>;
  readonly creditsCharged: Counter;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly malformedRequests: Counter<'reason' | 'status'>;
  /** Requests counted since the last collect, in the order their series were first seen (prom-client's order). */
  private readonly pending: PendingCount[] = [];
  /** Each meter's series by status; emptied on reset, so series are made again in the order seen after it. */
  private readonly meters: Array<Map<number, PendingCount>> = [];

  constructor(live: {
    queueDepth: () => Promise<Record<string, number>>;
    running: () => Promise<Record<string, number>>;
    creditsHeld: () => Promise<number>;
  }) {
    const registers = [this.registry];
    const pending = this.pending;
    this.requests = new Counter({
      name: 'gwsim_requests_total',
      help: 'Public API requests by operation and status',
      labelNames: ['operation', 'status'],
      registers,
      // Per-request counts reach prom-client here, once per scrape, not once per request (its label hashing).
      collect() {
        for (const p of pending) {
          if (p.n === 0) continue;
          this.inc(p.labels, p.n);
          p.n = 0;
        }
      },
    });
    this.requestSeconds = new Histogram({
      name: 'gwsim_request_duration_seconds',
      help: 'Public API latency (wall clock)',
      labelNames: ['operation'],
      buckets: SECONDS,
      registers,
    });
    this.tasks = new Counter({
      name: 'gwsim_tasks_total',
      help: 'Tasks that reached a terminal status',
      labelNames: ['model', 'status'],
      registers,
    });
    this.taskFailures = new Counter({
      name: 'gwsim_task_failures_total',
      help: 'Failed tasks by error code',
      labelNames: ['model', 'code'],
      registers,
    });
    this.taskSeconds = new Histogram({
      name: 'gwsim_task_duration_seconds',
      help: 'Task time from submit to terminal (simulator clock)',
      labelNames: ['model'],
      buckets: SECONDS,
      registers,
    });
    this.nodeCalls = new Counter({
      name: 'gwsim_node_calls_total',
      help: 'Gateway calls to provider nodes',
      labelNames: ['node', 'call', 'outcome'],
      registers,
    });
    this.nodeCallSeconds = new Histogram({
      name: 'gwsim_node_call_duration_seconds',
      help: 'Gateway → node call latency (simulator clock)',
      labelNames: ['node', 'call'],
      buckets: SECONDS,
      registers,
    });
    this.failovers = new Counter({
      name: 'gwsim_failovers_total',
      help: 'Tasks moved from a failing node to the next route',
      labelNames: ['model', 'from', 'to'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'gwsim_circuit_state',
      help: "Each node's circuit: 0 closed, 1 half-open, 2 open",
      labelNames: ['node'],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'gwsim_webhook_attempts_total',
      help: 'Webhook delivery attempts by what the delivery came to',
      labelNames: ['outcome'],
      registers,
    });
    this.malformedRequests = new Counter({
      name: 'gwsim_malformed_requests_total',
      help: "Requests refused before routing (Node's parser: bad header bytes, conflicting lengths, headers too large; CONNECT), by reason and status (0: socket gone)",
      labelNames: ['reason', 'status'],
      registers,
    });
    this.creditsCharged = new Counter({
      name: 'gwsim_credits_charged_total',
      help: 'Credits captured from completed tasks',
      registers,
    });
    new Gauge({
      name: 'gwsim_node_queue_depth',
      help: 'Jobs waiting for capacity on each emulated node',
      labelNames: ['node'],
      registers,
      async collect() {
        for (const [node, n] of Object.entries(await live.queueDepth())) this.set({ node }, n);
      },
    });
    new Gauge({
      name: 'gwsim_node_running',
      help: 'Jobs running on each emulated node',
      labelNames: ['node'],
      registers,
      async collect() {
        for (const [node, n] of Object.entries(await live.running())) this.set({ node }, n);
      },
    });
    new Gauge({
      name: 'gwsim_credits_held',
      help: 'Credits held by unfinished tasks, over all keys',
      registers,
      async collect() {
        this.set(await live.creditsHeld());
      },
    });
  }

  /**
   * Counts one operation's requests: `gwsim_requests_total` in plain numbers (published when
   * collected), `gwsim_request_duration_seconds` observed with one label object made here.
   */
  requestMeter(operation: string): RequestMeter {
    const byStatus = new Map<number, PendingCount>();
    this.meters.push(byStatus);
    const timing = { operation };
    return (status, seconds) => {
      let p = byStatus.get(status);
      if (!p) {
        p = { labels: { operation, status }, n: 0 };
        byStatus.set(status, p);
        this.pending.push(p);
      }
      p.n++;
      this.requestSeconds.observe(timing, seconds);
    };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  reset(): void {
    this.registry.resetMetrics();
    this.pending.length = 0;
    for (const m of this.meters) m.clear();
  }
}
