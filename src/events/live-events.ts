import type { Catalog } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import type { TaskRecord } from '../gateway/task.js';
import {
  MODEL_FAULT_KINDS,
  NODE_FAULT_KINDS,
  WEBHOOK_FAULT_KINDS,
  WEBHOOKS_TARGET,
  type FaultSet,
} from '../nodes/faults.js';
import type { NodeEmulator } from '../nodes/node-emulator.js';
import type { CircuitState } from '../routing/circuit-breaker.js';
import type { KeyRecord, RateWindow, Store } from '../store/store.js';
import { BUCKET_MS, LiveSeries, type NodeRecent } from './live-series.js';
import { taskRow, type TaskRow } from './task-row.js';
import { consoleLogger, type Logger } from '../log/logger.js';

/** Where events go: one open `/_sim/events` stream. */
export interface EventSink {
  send(event: string, data: unknown): void;
  close(): void;
}

export interface NodeRow {
  id: string;
  /** False for a node given by URL: its queue is not visible from here. */
  emulated: boolean;
  capacity: number | null;
  running: number | null;
  queued: number | null;
  circuit: CircuitState;
  /** Kinds of the faults in force on it. */
  faults: string[];
  recent: NodeRecent;
}

export interface KeyRow {
  key: string;
  balance: number;
  held: number;
  available: number;
  rate_limit: { requests: number; window_s: number };
  /** Requests counted in the current window (null until one is seen while a page is open). */
  rate_used: number | null;
  rate_reset_at: number | null;
}

export interface LiveDeps {
  catalog: Catalog;
  clock: Clock;
  /** The store underneath the observed one (reading it must not count as a change). */
  store: Store;
  faults: FaultSet;
  emulators: ReadonlyMap<string, NodeEmulator>;
  circuit: (node: string) => CircuitState;
  /** Wall-clock flush period: changes reach a page within this. */
  flushMs?: number;
  /** Task changes per flush beyond which the page is told to reload its page of tasks instead. */
  maxTasksPerFlush?: number;
  /** Where a failed flush is told (default: stderr). */
  logger?: Logger;
}

/**
 * The simulator's changes as events for open dashboards. Nothing is recorded while nobody
 * listens: the observed store checks `listening` before it calls in, so the hot path pays one
 * property read. While someone does, changes are gathered and flushed every `flushMs` of wall
 * time (the manual clock may not move at all), each kind only when it changed.
 */
export class LiveEvents {
  listening = false;
  private sinks = new Set<EventSink>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private series = new LiveSeries();
  private tasks = new Map<string, TaskRow>();
  private dirtyKeys = new Set<string>();
  private windows = new Map<string, RateWindow>();
  private sent = { nodes: new Map<string, string>(), faults: '', clock: '' };
  private flushing = false;
  /** Each emulated node's queue depth at the last read of the nodes. */
  private depths: Record<string, number> = {};

  private resolved: LiveDeps | undefined;

  /** `deps` is called once, when the first page opens: the parts it names may be wired after this. */
  constructor(private readonly wire: () => LiveDeps) {}

  private get deps(): LiveDeps {
    return (this.resolved ??= this.wire());
  }

  /** Start sending to `sink`: first a `hello` with the current state, then changes. Returns the unsubscribe. */
  async subscribe(sink: EventSink): Promise<() => void> {
    if (!this.listening) this.start();
    let hello;
    try {
      hello = await this.hello();
    } catch (err) {
      if (this.sinks.size === 0) this.stop(); // else changes would pile up for nobody
      throw err;
    }
    if (!this.listening) this.start(); // another subscribe failed meanwhile and stopped it
    this.sinks.add(sink);
    sink.send('hello', hello);
    return () => {
      this.sinks.delete(sink);
      if (this.sinks.size === 0) this.stop();
    };
  }

  /** End every stream (the simulator is closing). */
  close(): void {
    for (const sink of [...this.sinks]) sink.close();
    this.sinks.clear();
    this.stop();
  }

  // What the observed store reports (only while listening).
  taskWritten(task: TaskRecord): void {
    // The node's queue as of the last flush: its book is read asynchronously (it may be in Redis).
    this.series.task(task, this.deps.clock.now(), this.depths[task.node]);
    this.tasks.set(task.id, taskRow(task));
    if (task.status === 'COMPLETED' || task.status === 'FAILED') this.dirtyKeys.add(task.key);
  }

  keyTouched(key: string): void {
    this.dirtyKeys.add(key);
  }

  rateHit(key: string, window: RateWindow): void {
    this.windows.set(key, window);
    this.dirtyKeys.add(key);
  }

  /** The store was reset: pages start over from a fresh hello. */
  storeReset(): void {
    this.forget();
    this.broadcast('reset', {});
  }

  /** Drop everything gathered. */
  private forget(): void {
    this.series.clear();
    this.tasks.clear();
    this.dirtyKeys.clear();
    this.windows.clear();
    this.sent = { nodes: new Map(), faults: '', clock: '' };
  }

  private start(): void {
    this.listening = true;
    this.timer = setInterval(() => void this.flush(), this.deps.flushMs ?? 250);
    this.timer.unref();
  }

  private stop(): void {
    this.listening = false;
    clearInterval(this.timer);
    this.timer = undefined;
    this.forget();
  }

  private broadcast(event: string, data: unknown): void {
    for (const sink of this.sinks) sink.send(event, data);
  }

  private clockView() {
    return { now_ms: this.deps.clock.now(), mode: this.deps.clock.mode };
  }

  async nodeRows(): Promise<NodeRow[]> {
    const { catalog, emulators, faults, circuit, clock } = this.deps;
    const now = clock.now();
    const healths = new Map(await Promise.all([...emulators].map(async ([id, e]) => [id, await e.health()] as const)));
    this.depths = Object.fromEntries([...healths].map(([id, h]) => [id, h.queued]));
    return [...catalog.nodes.keys()].map((id) => {
      const health = healths.get(id);
      return {
        id,
        emulated: health !== undefined,
        capacity: health?.capacity ?? null,
        running: health?.running ?? null,
        queued: health?.queued ?? null,
        circuit: circuit(id),
        faults: faults.active(id).map((f) => f.kind),
        recent: this.series.recent(id, now),
      };
    });
  }

  private keyRow(r: KeyRecord): KeyRow {
    const w = this.windows.get(r.key);
    const open = w !== undefined && this.deps.clock.now() < w.resetAt;
    return {
      key: r.key,
      balance: r.credits,
      held: r.held,
      available: r.credits - r.held,
      rate_limit: { ...r.rateLimit },
      rate_used: w === undefined ? null : open ? w.count : 0,
      rate_reset_at: open ? w.resetAt : null,
    };
  }

  /** Everything a page starts from, but the tasks (those are paged: GET /_sim/ui/tasks). */
  private async hello() {
    const { catalog, faults } = this.deps;
    this.sent.faults = JSON.stringify(faults.list());
    return {
      clock: this.clockView(),
      bucket_ms: BUCKET_MS,
      targets: [...catalog.nodes.keys(), ...catalog.models.map((m) => `model:${m.id}`), WEBHOOKS_TARGET],
      fault_kinds: { node: NODE_FAULT_KINDS, model: MODEL_FAULT_KINDS, webhooks: WEBHOOK_FAULT_KINDS },
      models: catalog.models.map((m) => m.id),
      nodes: await this.nodeRows(),
      keys: (await this.deps.store.listKeys()).map((k) => this.keyRow(k)),
      faults: faults.list(),
      series: this.series.all(),
    };
  }

  /** Send what changed since the last flush. */
  async flush(): Promise<void> {
    if (this.flushing || this.sinks.size === 0) return;
    this.flushing = true;
    try {
      const clock = this.clockView();
      const clockText = JSON.stringify(clock);
      if (clockText !== this.sent.clock) this.broadcast('clock', clock);
      this.sent.clock = clockText;

      if (this.tasks.size > 0) {
        const max = this.deps.maxTasksPerFlush ?? 200;
        const rows = [...this.tasks.values()];
        this.tasks.clear();
        this.broadcast('tasks', { tasks: rows.slice(-max), more: Math.max(0, rows.length - max) });
      }

      const rows = await this.nodeRows();
      this.series.sampleQueue(clock.now_ms, this.depths);
      const points = this.series.changed();
      if (points.length > 0) this.broadcast('series', { points });

      const nodes = rows.filter((n) => {
        const text = JSON.stringify(n);
        if (this.sent.nodes.get(n.id) === text) return false;
        this.sent.nodes.set(n.id, text);
        return true;
      });
      if (nodes.length > 0) this.broadcast('nodes', { nodes });

      const faults = this.deps.faults.list();
      const faultsText = JSON.stringify(faults);
      if (faultsText !== this.sent.faults) this.broadcast('faults', { faults });
      this.sent.faults = faultsText;

      if (this.dirtyKeys.size > 0) {
        const names = [...this.dirtyKeys];
        this.dirtyKeys.clear();
        const records = await Promise.all(names.map((k) => this.deps.store.getKey(k)));
        const keys = records.flatMap((r) => (r ? [this.keyRow(r)] : []));
        if (keys.length > 0) this.broadcast('keys', { keys });
      }
    } catch (err) {
      (this.deps.logger ?? consoleLogger()).error({ err }, 'dashboard events failed');
    } finally {
      this.flushing = false;
    }
  }
}
