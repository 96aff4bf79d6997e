import type { Fault, FaultSet } from '../nodes/faults.js';
import type { Store } from '../store/store.js';
import type { CircuitBreaker } from './circuit-breaker.js';

const FAULTS = 'faults';
const CIRCUITS = 'circuits';

export interface SharedStateDeps {
  store: Store;
  faults: FaultSet;
  breaker: CircuitBreaker;
  /** The nodes whose circuits are shared (every catalog node). */
  nodes: readonly string[];
  /** How often to look for other instances' changes (real ms): one cheap read per collection. */
  everyMs: number;
  onError: (err: unknown) => void;
}

/** One shared collection: local writes go out, other instances' writes come in by version. */
class Collection {
  private version = 0;
  private inFlight = 0;
  private started = 0;

  constructor(
    private readonly store: Store,
    private readonly kind: string,
    private readonly apply: (entries: Record<string, string>) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  write(id: string, json: string | null): void {
    this.inFlight++;
    this.started++;
    void this.store
      .putShared(this.kind, id, json)
      .catch(this.onError)
      .finally(() => this.inFlight--);
  }

  /** Adopt the store's view, unless a local write may be missing from it (the next read has it). */
  async sync(): Promise<void> {
    const startedBefore = this.started;
    const snapshot = await this.store.readShared(this.kind, this.version);
    if (!snapshot || this.inFlight > 0 || this.started !== startedBefore) return;
    this.version = snapshot.version;
    this.apply(snapshot.entries);
  }
}

/**
 * Faults posted on any instance and circuits any instance opens, shared through the store, so
 * instances on one Redis act alike. The hot path stays in process (FaultSet, CircuitBreaker);
 * this only copies changes out as they happen and in on a short timer. Returns a stop function.
 */
export function shareState(deps: SharedStateDeps): () => void {
  const { store, faults, breaker, onError } = deps;
  const faultSet = new Collection(
    store,
    FAULTS,
    (entries) => faults.adopt(Object.values(entries).map((json) => JSON.parse(json) as Fault)),
    onError,
  );
  const circuits = new Collection(
    store,
    CIRCUITS,
    (entries) => {
      for (const node of deps.nodes) breaker.adopt(node, entries[node] === undefined ? null : Number(entries[node]));
    },
    onError,
  );
  faults.onChange((change) =>
    'added' in change
      ? faultSet.write(change.added.id, JSON.stringify(change.added))
      : faultSet.write(change.removed, null),
  );
  breaker.onShare((node, openedAt) => circuits.write(node, openedAt === null ? null : String(openedAt)));
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await Promise.all([faultSet.sync(), circuits.sync()]);
    } catch (err) {
      onError(err);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
