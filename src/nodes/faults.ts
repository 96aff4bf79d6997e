import type { Clock } from '../clock/clock.js';
import type { Timer } from '../clock/timer-heap.js';

/** What can go wrong with a node or a model. */
export const MODEL_FAULT_KINDS = ['outage', 'error_rate', 'latency_multiplier', 'timeout'] as const;
/** A node can also lose capacity (value: jobs it runs at once), so its queue fills. */
export const NODE_FAULT_KINDS = [...MODEL_FAULT_KINDS, 'capacity'] as const;
/** Receiver chaos, on target `webhooks`: duplicate, delayed, reordered deliveries. */
export const WEBHOOK_FAULT_KINDS = ['duplicate', 'delay', 'reorder'] as const;
export const FAULT_KINDS = [...NODE_FAULT_KINDS, ...WEBHOOK_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const WEBHOOKS_TARGET = 'webhooks';

/** A fault on a node (`node47`), a model wherever it runs (`model:imagen-4`), or on webhook deliveries (`webhooks`). */
export interface Fault {
  id: string;
  target: string;
  kind: FaultKind;
  /** error_rate, duplicate: probability 0..1; latency_multiplier: factor; capacity: jobs; delay, reorder: ms; otherwise unused. */
  value: number | null;
  /** Epoch ms on the simulator clock. */
  starts_at: number;
  /** null: until removed. */
  ends_at: number | null;
}

export interface FaultSpec {
  target: string;
  kind: FaultKind;
  value?: number | undefined;
  /** Delay before it starts (config scenarios); 0 = now. */
  start_ms?: number | undefined;
  duration_ms?: number | undefined;
}

/** Told of a fault added or removed here (not of one adopted from elsewhere): the share hook. */
export type FaultChange = (change: { added: Fault } | { removed: string }) => void;

/**
 * The faults in force, on the simulator clock: a fault added with a start or a duration is
 * switched on and off by timers, so the manual clock drives scenarios like any other timer.
 * On a shared store the admin's faults are shared (`onChange` writes them, `adopt` takes what
 * other instances wrote); a config's scenarios stay with the instance that read the config.
 */
export class FaultSet {
  private faults = new Map<string, Fault>();
  private timers = new Map<string, Timer>();
  private counter = 0;
  private listeners: Array<() => void> = [];
  private added: Array<(target: string) => void> = [];
  /** Faults that are this instance's alone (config scenarios): never shared, never replaced by adopt. */
  private local = new Set<string>();
  private changed: FaultChange | undefined;

  /** `idPrefix`: keeps ids unique across instances that share faults. */
  constructor(
    private readonly clock: Clock,
    private readonly idPrefix = 'flt_',
  ) {}

  /** Report local adds and removes (of shared faults) to `listener`. */
  onChange(listener: FaultChange): void {
    this.changed = listener;
  }

  /**
   * Make the shared faults exactly `shared` (what the store holds), keeping local ones; ends are
   * timed here too. Reports nothing back (it is what the others wrote).
   */
  adopt(shared: readonly Fault[]): void {
    const keep = new Set(shared.map((f) => f.id));
    for (const id of [...this.faults.keys()]) if (!this.local.has(id) && !keep.has(id)) this.drop(id);
    for (const f of shared) {
      if (this.faults.has(f.id) || this.local.has(f.id)) continue;
      this.insert({ ...f });
    }
  }

  private insert(fault: Fault): void {
    this.faults.set(fault.id, fault);
    for (const listener of this.added) listener(fault.target);
    if (fault.ends_at !== null)
      this.timers.set(
        fault.id,
        this.clock.schedule(fault.ends_at, () => void this.remove(fault.id)),
      );
  }

  private drop(id: string): boolean {
    const timer = this.timers.get(id);
    if (timer) this.clock.cancel(timer);
    this.timers.delete(id);
    const removed = this.faults.delete(id);
    if (removed) for (const listener of this.listeners) listener();
    return removed;
  }

  /** Told whenever a fault is removed or ends (a node whose capacity comes back starts its queue). */
  onRemoved(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Told of every fault added, here or adopted (routing's skipped quiet polls of its target end). */
  onAdded(listener: (target: string) => void): void {
    this.added.push(listener);
  }

  /** `share: false` keeps the fault on this instance (a config scenario). */
  add(spec: FaultSpec, options: { share?: boolean } = {}): Fault {
    const now = this.clock.now();
    const starts = now + (spec.start_ms ?? 0);
    const fault: Fault = {
      id: `${this.idPrefix}${++this.counter}`,
      target: spec.target,
      kind: spec.kind,
      value: spec.value ?? null,
      starts_at: starts,
      ends_at: spec.duration_ms === undefined ? null : starts + spec.duration_ms,
    };
    this.insert(fault);
    if (options.share === false) this.local.add(fault.id);
    else this.changed?.({ added: { ...fault } });
    return fault;
  }

  remove(id: string): boolean {
    const removed = this.drop(id);
    if (removed && !this.local.delete(id)) this.changed?.({ removed: id });
    return removed;
  }

  clear(): void {
    for (const id of [...this.faults.keys()]) this.remove(id);
    this.counter = 0;
  }

  list(): Fault[] {
    return [...this.faults.values()];
  }

  /** No fault at all, in force or to come: every submit and node call asks, and almost always there is none. */
  get none(): boolean {
    return this.faults.size === 0;
  }

  /** The outage in force on a model, if any: its submits are refused. */
  outage(modelId: string): Fault | undefined {
    if (this.none) return undefined;
    return this.active(`model:${modelId}`).find((f) => f.kind === 'outage');
  }

  /** Faults in force now on a node, or on a model (pass `model:<id>`). */
  active(target: string): Fault[] {
    if (this.none) return [];
    const now = this.clock.now();
    const out: Fault[] = [];
    for (const f of this.faults.values())
      if (f.target === target && f.starts_at <= now && (f.ends_at === null || now < f.ends_at)) out.push(f);
    return out;
  }
}
