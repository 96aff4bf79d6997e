import { fileURLToPath } from 'node:url';

// Resolved from this file, so the same paths hold from src/ (tests, tsx) and dist/ (the CLI).
const fromRoot = (rel: string): string => fileURLToPath(new URL(`../${rel}`, import.meta.url));

export const paths = {
  gatewaySpec: fromRoot('openapi/gateway.yaml'),
  nodeSpec: fromRoot('openapi/node.yaml'),
  adminSpec: fromRoot('openapi/admin.yaml'),
  nodeAdminSpec: fromRoot('openapi/node-admin.yaml'),
  catalog: fromRoot('src/catalog/models.yaml'),
  dashboardDir: fromRoot('src/dashboard'),
  generatedDir: fromRoot('src/generated'),
  /** The pacts, shipped in the package: `gwsim verify`'s default `--pacts`. */
  pacts: fromRoot('contracts/pacts'),
  packageJson: fromRoot('package.json'),
} as const;
