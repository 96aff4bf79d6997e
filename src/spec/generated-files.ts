import { join } from 'node:path';
import { catalogSnapshotPath, loadCatalog, renderCatalogSnapshot } from '../catalog/load-catalog.js';
import { paths } from '../paths.js';
import { renderGatewaySpec } from './generate-spec.js';
import { renderTypes } from './generate-types.js';
import { renderSnapshot, snapshotPath } from './load-spec.js';
import { readFileSync } from 'node:fs';

/**
 * Every file `npm run generate` owns, with the content it should have now. The spec's catalog
 * parts come first: the gateway types are rendered from the spec as it will be written.
 */
export async function generatedFiles(write: (file: string, text: string) => void): Promise<void> {
  write(catalogSnapshotPath(), renderCatalogSnapshot(readFileSync(paths.catalog, 'utf8')));
  const gateway = renderGatewaySpec(loadCatalog());
  write(paths.gatewaySpec, gateway);
  write(snapshotPath(paths.gatewaySpec), renderSnapshot(gateway));
  for (const spec of [paths.nodeSpec, paths.adminSpec, paths.nodeAdminSpec])
    write(snapshotPath(spec), renderSnapshot(readFileSync(spec, 'utf8')));
  write(join(paths.generatedDir, 'gateway.ts'), await renderTypes(paths.gatewaySpec));
  write(join(paths.generatedDir, 'node.ts'), await renderTypes(paths.nodeSpec));
  write(join(paths.generatedDir, 'admin.ts'), await renderTypes(paths.adminSpec));
  write(join(paths.generatedDir, 'node-admin.ts'), await renderTypes(paths.nodeAdminSpec));
}
