import { readFileSync } from 'node:fs';
import * as comparatorModule from '@pactflow/openapi-pact-comparator';
import { describe, expect, it } from 'vitest';
import { listPacts } from '../src/contracts/verify.js';
import { PACTS_DIR, PARTICIPANTS } from '../src/contracts/participants.js';
import { paths } from '../src/paths.js';
import { loadSpec } from '../src/spec/load-spec.js';

// The package's .d.ts re-exports `./compare` without an extension, which NodeNext cannot follow,
// so its one export is typed here.
type Mismatch = { code: string; message: string; type: string };
const { Comparator } = comparatorModule as unknown as {
  Comparator: new (oas: object) => { compare(pact: object): AsyncGenerator<Mismatch> };
};

/** Which spec each provider's pacts must agree with. */
const SPEC_OF: Record<string, string> = {
  [PARTICIPANTS.gateway]: paths.gatewaySpec,
  [PARTICIPANTS.node]: paths.nodeSpec,
};

async function mismatches(specFile: string, pact: object): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for await (const result of new Comparator(structuredClone(loadSpec(specFile))).compare(pact)) out.push(result);
  return out;
}

describe('the pacts never drift from the spec', () => {
  for (const pact of listPacts(PACTS_DIR).filter((p) => SPEC_OF[p.provider.name])) {
    it(`${pact.consumer.name} → ${pact.provider.name} agrees with ${SPEC_OF[pact.provider.name]!.split('/').pop()}`, async () => {
      expect(await mismatches(SPEC_OF[pact.provider.name]!, JSON.parse(readFileSync(pact.file, 'utf8')))).toEqual([]);
    });
  }

  it('the comparison can fail: a pact response with a renamed field is reported', async () => {
    const pact = JSON.parse(
      readFileSync(listPacts(PACTS_DIR).find((p) => p.provider.name === PARTICIPANTS.gateway)!.file, 'utf8'),
    );
    const interaction = pact.interactions.find(
      (i: { response?: { status: number } }) => i.response?.status === 200 && /credit balance/.test(JSON.stringify(i)),
    );
    const body = interaction.response.body;
    const content = typeof body.content === 'string' ? JSON.parse(body.content) : body.content;
    content.data.avail = content.data.available;
    delete content.data.available;
    body.content = content;
    const found = await mismatches(paths.gatewaySpec, pact);
    expect(JSON.stringify(found)).toContain('additional properties - avail');
  });
});
