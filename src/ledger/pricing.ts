import type { ModelRef } from '../catalog/load-catalog.js';

/** What a request costs: the sub-model's credits for each image it asks for. */
export function priceOf(ref: ModelRef, params: Record<string, unknown>): { price: number; numImages: number } {
  const numImages = typeof params.num_images === 'number' ? params.num_images : 1;
  return { price: ref.subModel.credits * numImages, numImages };
}
