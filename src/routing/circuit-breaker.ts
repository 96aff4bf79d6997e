import type { Clock } from '../clock/clock.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open a node's circuit. */
  threshold: number;
  /** How long it stays open before one probe is let through. */
  cooldownMs: number;
}

interface Circuit {
  failures: number;
  openedAt: number | null;
  /** A half-open probe is in flight: nobody else may pass. */
  probing: boolean;
}

/**
 * Per-node circuits: closed → (threshold consecutive failures) → open → (cooldown) → half-open,
 * where one probe decides: success closes, failure opens again for another cooldown.
 */
export class CircuitBreaker {
  private circuits = new Map<string, Circuit>();
  private shared: ((node: string, openedAt: number | null) => void) | undefined;
  private unclean: Array<(node: string) => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly options: CircuitOptions,
    private readonly onChange?: (node: string, state: CircuitState) => void,
  ) {}

  /** Report circuits this instance opens or closes (not adopted ones): the share hook. */
  onShare(listener: (node: string, openedAt: number | null) => void): void {
    this.shared = listener;
  }

  /** Told each time a node's circuit stops being clean (a failure counted, an open adopted). */
  onUnclean(listener: (node: string) => void): void {
    this.unclean.push(listener);
  }

  private tellUnclean(node: string, wasClean: boolean): void {
    if (wasClean && !this.clean(node)) for (const listener of this.unclean) listener(node);
  }

  /** Take another instance's view of a node: open since `openedAt`, or closed (null). */
  adopt(node: string, openedAt: number | null): void {
    const c = this.circuit(node);
    if (c.openedAt === openedAt) return;
    const wasClean = this.clean(node);
    const was = this.state(node);
    if (openedAt === null) {
      c.failures = 0;
      c.openedAt = null;
      c.probing = false;
    } else {
      c.openedAt = openedAt;
      c.probing = false;
    }
    const now = this.state(node);
    if (now !== was) this.onChange?.(node, now);
    this.tellUnclean(node, wasClean);
  }

  private circuit(node: string): Circuit {
    let c = this.circuits.get(node);
    if (!c) {
      c = { failures: 0, openedAt: null, probing: false };
      this.circuits.set(node, c);
    }
    return c;
  }

  state(node: string): CircuitState {
    const c = this.circuits.get(node);
    if (!c || c.openedAt === null) return 'closed';
    return this.clock.now() - c.openedAt >= this.options.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether a call may go to `node` now; a half-open circuit admits one probe at a time. */
  tryPass(node: string): boolean {
    const state = this.state(node);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const c = this.circuit(node);
    if (c.probing) return false;
    c.probing = true;
    this.onChange?.(node, 'half_open');
    return true;
  }

  /** Whether any of `nodes` would admit a call now (without taking a probe slot). */
  anyAvailable(nodes: readonly string[]): boolean {
    return nodes.some((n) => this.state(n) === 'closed' || (this.state(n) === 'half_open' && !this.circuit(n).probing));
  }

  /** Milliseconds until the first of `nodes` admits calls again. */
  msUntilAvailable(nodes: readonly string[]): number {
    const now = this.clock.now();
    return Math.max(
      0,
      Math.min(
        ...nodes.map(
          (n) => (this.circuits.get(n)?.openedAt ?? now - this.options.cooldownMs) + this.options.cooldownMs - now,
        ),
      ),
    );
  }

  /** Closed with no failure counted: a success now would change nothing. */
  clean(node: string): boolean {
    const c = this.circuits.get(node);
    return !c || (c.failures === 0 && c.openedAt === null && !c.probing);
  }

  success(node: string): void {
    const c = this.circuit(node);
    const was = this.state(node);
    c.failures = 0;
    c.openedAt = null;
    c.probing = false;
    if (was !== 'closed') {
      this.onChange?.(node, 'closed');
      this.shared?.(node, null);
    }
  }

  failure(node: string): void {
    const c = this.circuit(node);
    const wasClean = this.clean(node);
    const was = this.state(node);
    c.failures++;
    if (was === 'half_open' || (was === 'closed' && c.failures >= this.options.threshold)) {
      c.openedAt = this.clock.now();
      c.probing = false;
      this.onChange?.(node, 'open');
      this.shared?.(node, c.openedAt);
    }
    this.tellUnclean(node, wasClean);
  }

  reset(): void {
    this.circuits.clear();
  }
}
