// The public API of the gwsim package.
export { startSimulator, createSimulator, type Simulator, type SimulatorOptions } from './simulator.js';
export { consoleLogger, silentLogger, LOG_LEVELS, type Logger, type LogFn, type LogLevel } from './log/logger.js';
export type { RequestIdSource } from './net/request-ids.js';
export { loadCatalog, parseCatalog, CatalogError, type Catalog, type ModelRef } from './catalog/load-catalog.js';
export { endpointPanel, type EndpointPanel } from './catalog/panel.js';
export { DEV_KEY, DEV_WEBHOOK_SECRET, type AdminService, type KeyView } from './admin/admin-service.js';
export { ledgerTotals } from './ledger/ledger.js';
export type { TaskView, TaskStatus } from './gateway/task.js';
export type { components as GatewayComponents, paths as GatewayPaths } from './generated/gateway.js';
export type { components as NodeComponents, paths as NodePaths } from './generated/node.js';
export type { components as AdminComponents, paths as AdminPaths } from './generated/admin.js';
export type { components as NodeAdminComponents, paths as NodeAdminPaths } from './generated/node-admin.js';
export { verifyWebhook, WebhookVerificationError, type VerifyOptions } from './webhooks/signature.js';
export {
  GatewayClient,
  createGatewayClient,
  GatewayApiError,
  AdminClient,
  createAdminClient,
  type AdminClientOptions,
  type ClientOptions,
  type WaitOptions,
  type Task,
  type ModelInfo,
  type Credits,
  type GenerationRequest,
} from './client/index.js';
// The load generator, as `gwsim load` runs it: a scenario in, a report out.
export { runLoad, type RunOptions, type Progress } from './load/runner.js';
export {
  parseScenario,
  loadScenario,
  ScenarioError,
  type Scenario,
  type MixEntry,
  type JourneyKind,
} from './load/scenario.js';
export type { ScenarioInput } from './load/scenario-schema.js';
export { mergeReports, MergeError, type LoadReport } from './load/report.js';
export { readReport, writeReport, ReportFileError } from './load/report-file.js';
export { summaryText } from './load/summary-text.js';
export { htmlReport } from './load/html-report.js';
export { parseShard, type Shard } from './load/arrivals.js';
export type { Threshold, ThresholdResult } from './load/thresholds.js';
