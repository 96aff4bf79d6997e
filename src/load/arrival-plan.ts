import { faker } from '@faker-js/faker/locale/en';
import { createRng, mix32, pickWeighted } from '../rng/rng.js';
import type { Arrival } from './arrivals.js';
import type { JourneyKind, MixEntry, Scenario } from './scenario.js';

/** What one arrival does: decided by (seed, arrival index) alone, so shards agree with a whole run. */
export interface PlannedJourney extends Arrival {
  kind: JourneyKind;
  mix: MixEntry;
  /** The submit body as JSON, without callback_url (see withCallback). */
  body: string;
  /** `body` in UTF-8, what the client sends: made once per distinct body, not per arrival. */
  bytes: Buffer;
  /** Credits the catalog says a success costs: sub-model credits × num_images. */
  price: number;
}

const STYLES = [
  'photorealistic',
  'watercolor',
  'oil painting',
  'isometric 3D render',
  'studio photograph',
  'pencil sketch',
  'cinematic still',
  'flat vector illustration',
];
const LIGHTS = [
  'golden hour light',
  'soft diffuse light',
  'neon glow',
  'dramatic side lighting',
  'overcast daylight',
  'candlelight',
];
const POOL_SIZE = 512;

/** Image prompts from faker under `seed`, made once: seeding faker per arrival costs more than the request. */
export function promptPool(seed: number, size = POOL_SIZE): string[] {
  faker.seed(seed);
  return Array.from({ length: size }, () => {
    const subject = faker.datatype.boolean()
      ? `${faker.word.adjective()} ${faker.animal.type()}`
      : `${faker.commerce.productMaterial().toLowerCase()} ${faker.commerce.product().toLowerCase()}`;
    const style = faker.helpers.arrayElement(STYLES);
    return `A ${style} of a ${faker.color.human()} ${subject} in ${faker.location.city()}, ${faker.helpers.arrayElement(LIGHTS)}, ${faker.word.words(3)}`;
  });
}

/** Add callback_url to a planned body. */
export const withCallback = (body: string, url: string): string =>
  `${body.slice(0, -1)},"callback_url":${JSON.stringify(url)}}`;

interface MixPlan {
  entry: MixEntry;
  weight: number;
  /** `{"model":…` ready to append to. */
  head: string;
  /** Per parameter, each choice as `,"name":value` with its num_images (if that is the parameter). */
  params: Array<Array<{ json: string; images?: number }>>;
  defaultImages: number;
  /** Bodies by combination (prompt, then each parameter's choice), made when first drawn; none if too many. */
  bodies: Array<Body | undefined> | undefined;
}

interface Body {
  text: string;
  bytes: Buffer;
  images: number;
}

/** The most combinations of one mix entry whose bodies are kept (a few hundred bytes each). */
const MAX_KEPT_BODIES = 8192;

/**
 * Turns arrivals into journeys. The bodies are assembled from JSON fragments made once, and
 * each distinct body (with its bytes) is kept once made, because at tens of thousands of
 * arrivals a second the generator's own cost shows.
 */
export class ArrivalPlanner {
  private readonly prompts: string[];
  private readonly mix: MixPlan[];
  /** The choice drawn for each parameter of the arrival being planned. */
  private readonly picks: number[] = [];

  constructor(private readonly scenario: Scenario) {
    this.prompts = promptPool(scenario.seed).map((p) => JSON.stringify(p));
    this.mix = scenario.mix.map((entry) => {
      const rule = entry.model.params.num_images;
      const combinations = entry.params.reduce((n, [, choices]) => n * choices.length, this.prompts.length);
      return {
        entry,
        weight: entry.weight,
        head: `{"model":${JSON.stringify(entry.name)},"prompt":`,
        params: entry.params.map(([name, choices]) =>
          choices.map((v) => ({
            json: `,${JSON.stringify(name)}:${JSON.stringify(v)}`,
            ...(name === 'num_images' && typeof v === 'number' ? { images: v } : {}),
          })),
        ),
        defaultImages: rule?.type === 'integer' ? (rule.default ?? 1) : 1,
        bodies: combinations <= MAX_KEPT_BODIES ? new Array<Body | undefined>(combinations) : undefined,
      };
    });
  }

  plan(arrival: Arrival): PlannedJourney {
    const rng = createRng(mix32(this.scenario.seed, arrival.index, 0x70ad));
    const chosen =
      this.scenario.journeys.length === 1
        ? this.scenario.journeys[0]!.kind
        : pickWeighted(rng, this.scenario.journeys).kind;
    const mix = this.mix.length === 1 ? this.mix[0]! : pickWeighted(rng, this.mix);
    // The same draws whether a body is kept or made: keeping bodies changes no plan.
    const prompt = Math.floor(rng.next() * this.prompts.length);
    // The combination's number in mixed radix (prompt, then each choice): exact when bodies are kept.
    let combination = prompt;
    for (let i = 0; i < mix.params.length; i++) {
      const choices = mix.params[i]!;
      const pick = choices.length === 1 ? 0 : Math.floor(rng.next() * choices.length);
      this.picks[i] = pick;
      combination = combination * choices.length + pick;
    }
    let body = mix.bodies?.[combination];
    if (!body) {
      body = this.body(mix, prompt);
      if (mix.bodies) mix.bodies[combination] = body;
    }
    // Models without webhook support refuse callback_url: their webhook journeys poll instead.
    const kind = chosen === 'webhook' && !mix.entry.model.webhook ? 'poll' : chosen;
    return {
      index: arrival.index,
      atMs: arrival.atMs,
      kind,
      mix: mix.entry,
      body: body.text,
      bytes: body.bytes,
      price: mix.entry.subModel.credits * body.images,
    };
  }

  /** The body of `prompt` with the choices just drawn (`picks`). */
  private body(mix: MixPlan, prompt: number): Body {
    let text = mix.head + this.prompts[prompt]!;
    let images = mix.defaultImages;
    for (let i = 0; i < mix.params.length; i++) {
      const c = mix.params[i]![this.picks[i]!]!;
      text += c.json;
      if (c.images !== undefined) images = c.images;
    }
    text += '}';
    return { text, bytes: Buffer.from(text), images };
  }
}
