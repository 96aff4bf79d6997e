import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CatalogFile } from '../../src/catalog/catalog-schema.js';
import { CatalogError, loadCatalog, parseCatalog, renderCatalogSnapshot } from '../../src/catalog/load-catalog.js';
import { paths } from '../../src/paths.js';
import { generatedFiles } from '../../src/spec/generated-files.js';
import { loadSpec, renderSnapshot } from '../../src/spec/load-spec.js';
import { renderGatewaySpec } from '../../src/spec/generate-spec.js';

/** Where two texts first differ, as `line N: expected … / on disk …`. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}:\n  generated: ${JSON.stringify(a[i])}\n  on disk:   ${JSON.stringify(b[i])}`;
  }
  return 'no difference';
}

describe('generated files', () => {
  it('are up to date with the catalog and the specs', async () => {
    const written: string[] = [];
    const stale: string[] = [];
    await generatedFiles((file, text) => {
      written.push(file);
      const onDisk = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (onDisk === undefined) stale.push(`${file} is missing`);
      else if (onDisk !== text) stale.push(`${file} is stale, first at ${firstDifference(text, onDisk)}`);
    });
    expect(written).toEqual([
      join(paths.generatedDir, 'models.catalog.json'),
      paths.gatewaySpec,
      join(paths.generatedDir, 'gateway.spec.json'),
      join(paths.generatedDir, 'node.spec.json'),
      join(paths.generatedDir, 'admin.spec.json'),
      join(paths.generatedDir, 'node-admin.spec.json'),
      join(paths.generatedDir, 'gateway.ts'),
      join(paths.generatedDir, 'node.ts'),
      join(paths.generatedDir, 'admin.ts'),
      join(paths.generatedDir, 'node-admin.ts'),
    ]);
    expect(
      stale,
      `generated files differ from what \`npm run generate\` writes; run \`npm run generate\`:\n${stale.join('\n')}`,
    ).toEqual([]);
  }, 60_000);
});

describe('the generated part of the gateway spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-generate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('settles: rendering its own output again changes nothing', () => {
    const catalog = loadCatalog();
    const once = renderGatewaySpec(catalog);
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, once);
    expect(renderGatewaySpec(catalog, file)).toBe(once);
  });

  it('follows the catalog', () => {
    const raw = parse(readFileSync(paths.catalog, 'utf8')) as CatalogFile;
    const cogview = raw.models.find((m) => m.id === 'cogview-4')!;
    cogview.sub_models[0]!.credits = 30;
    const size = cogview.params.size!;
    if (size.type !== 'string') throw new Error('cogview-4 size is not a string parameter');
    size.enum = [...(size.enum ?? []), '2048*2048'];

    const rendered = parse(renderGatewaySpec(parseCatalog(raw))) as {
      components: {
        schemas: Record<string, { properties: Record<string, { enum?: string[] }> }>;
        examples: Record<string, { value: unknown }>;
      };
    };
    expect(rendered.components.schemas['GenerationRequest.cogview-4']!.properties.size!.enum).toContain('2048*2048');
    const sync = rendered.components.examples.TaskCompletedSync!.value as { data: { credits_charged: number } };
    expect(sync.data.credits_charged).toBe(30);
  });
});

describe('the spec snapshots', () => {
  it('are what loadSpec returns for an unchanged spec, and are ignored once the YAML differs', () => {
    const yamlText = readFileSync(paths.gatewaySpec, 'utf8');
    expect(loadSpec()).toEqual(parse(yamlText));
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-snapshot-'));
    try {
      // A spec whose snapshot (in src/generated/) was made from other text: the YAML itself wins.
      const edited = join(dir, 'gateway.yaml');
      writeFileSync(edited, yamlText.replace('title: API in One image gateway', 'title: edited'));
      expect((loadSpec(edited) as unknown as { info: { title: string } }).info.title).toBe('edited');
      expect(JSON.parse(renderSnapshot(yamlText)).source_sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the catalog snapshot', () => {
  it('is what the YAML parses and checks to, and another catalog file is read itself', () => {
    const yamlText = readFileSync(paths.catalog, 'utf8');
    const fromYaml = parseCatalog(parse(yamlText));
    expect(loadCatalog().file).toEqual(fromYaml.file);
    expect(loadCatalog().resolve('imagen4')?.model.id).toBe('imagen-4');
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-catalog-'));
    try {
      // The snapshot in src/generated/ was made from other text: this file's own YAML wins.
      const edited = join(dir, 'models.yaml');
      writeFileSync(edited, yamlText.replace('name: Recraft V3', 'name: Recraft Edited'));
      expect(loadCatalog(edited).model('recraft-v3')?.name).toBe('Recraft Edited');
      expect(JSON.parse(renderCatalogSnapshot(yamlText)).source_sha256).toMatch(/^[0-9a-f]{64}$/);
      // A snapshot is only written of a catalog that passes its checks.
      expect(() => renderCatalogSnapshot(yamlText.replace('capacity: 190', 'capacity: -1'))).toThrow(CatalogError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
