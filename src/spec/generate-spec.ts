import { readFileSync } from 'node:fs';
import { parseDocument, isMap, type Document } from 'yaml';
import type { Catalog } from '../catalog/load-catalog.js';
import { requestSchemas } from '../catalog/request-schema.js';
import { paths } from '../paths.js';
import { gatewayExamples } from './examples.js';

const GENERATED = ' Generated from src/catalog/models.yaml by `npm run generate`: edit the catalog, not this.';

// No anchors for objects the catalog shares (an enum shown in two examples): their names depend
// on the anchors already in the file, so each run would rename them and the output never settle.
const NO_ALIASES = { aliasDuplicateObjects: false } as const;

/** Replace every `GenerationRequest*` schema and every example with what the catalog says. */
function applyCatalog(doc: Document, catalog: Catalog): void {
  const schemas = doc.getIn(['components', 'schemas']);
  if (!isMap(schemas)) throw new Error('gateway spec has no components.schemas');
  schemas.items = schemas.items.filter(
    (pair) => !String((pair.key as { value?: unknown })?.value ?? pair.key).startsWith('GenerationRequest'),
  );
  let first = true;
  for (const [name, schema] of Object.entries(requestSchemas(catalog))) {
    const node = doc.createPair(name, schema, NO_ALIASES);
    if (first) (node.key as { commentBefore?: string }).commentBefore = GENERATED;
    first = false;
    schemas.items.push(node);
  }
  const examples = doc.createNode(gatewayExamples(catalog), NO_ALIASES);
  examples.commentBefore = GENERATED;
  doc.setIn(['components', 'examples'], examples);
}

/** The gateway spec text with its generated parts brought up to date with the catalog. */
export function renderGatewaySpec(catalog: Catalog, specFile: string = paths.gatewaySpec): string {
  const doc = parseDocument(readFileSync(specFile, 'utf8'));
  applyCatalog(doc, catalog);
  return doc.toString({ lineWidth: 0 });
}
