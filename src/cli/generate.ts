import { writeFileSync } from 'node:fs';
import { generatedFiles } from '../spec/generated-files.js';

// `npm run generate`: the catalog's parts of openapi/gateway.yaml, then the types of both specs.
await generatedFiles((file, text) => {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
});
