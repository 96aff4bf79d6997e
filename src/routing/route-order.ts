import type { RouteEntry } from '../catalog/catalog-schema.js';
import { pickWeighted, type Rng } from '../rng/rng.js';

/**
 * The order a task tries its model's routes in: the first chosen by weight (spreading load),
 * then the others in catalog order as fallbacks.
 */
export function routeOrder(rng: Rng, routes: readonly RouteEntry[]): RouteEntry[] {
  const first = pickWeighted(rng, routes);
  return [first, ...routes.filter((r) => r !== first)];
}
