// The public API of the gwsim package.
export { startSimulator, createSimulator, type Simulator, type SimulatorOptions } from './simulator.js';
export { loadCatalog, parseCatalog, CatalogError, type Catalog, type ModelRef } from './catalog/load-catalog.js';
export { endpointPanel, type EndpointPanel } from './catalog/panel.js';
export { DEV_KEY, DEV_WEBHOOK_SECRET, type AdminService, type KeyView } from './admin/admin-service.js';
export { ledgerTotals } from './ledger/ledger.js';
export type { TaskView, TaskStatus } from './gateway/task.js';
export type { components as GatewayComponents, paths as GatewayPaths } from './generated/gateway.js';
export type { components as NodeComponents, paths as NodePaths } from './generated/node.js';
export { verifyWebhook, WebhookVerificationError, type VerifyOptions } from './webhooks/signature.js';
export { GatewayClient, createGatewayClient, GatewayApiError, type ClientOptions, type WaitOptions, type Task, type ModelInfo, type Credits, type GenerationRequest } from './client/index.js';
