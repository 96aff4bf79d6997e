import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let yaml: typeof Yaml | undefined;

/**
 * `yaml`'s `parse`, with the package loaded on the first call: a start that reads the catalog and
 * the specs from their JSON snapshots, with no config file, never loads it (~30 ms of modules).
 */
export function parseYaml(text: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text);
}
