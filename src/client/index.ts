export {
  GatewayClient,
  createGatewayClient,
  type ClientOptions,
  type CallOptions,
  type WaitOptions,
  type GenerationRequest,
  type Task,
  type ModelInfo,
  type Credits,
} from './client.js';
export { GatewayApiError, type ApiErrorKind } from './errors.js';
export {
  AdminClient,
  createAdminClient,
  type AdminClientOptions,
  type AdminKey,
  type AdminKeyRequest,
  type AdminTask,
  type TaskFixture,
  type AdminClock,
  type Ledger,
  type Delivery,
  type FaultRequest,
  type Fault,
  type CatalogFigures,
  type TaskFilter,
  type TaskPage,
  type TaskPageQuery,
  type TaskDetail,
} from './admin-client.js';
export { verifyWebhook, WebhookVerificationError, type VerifyOptions } from '../webhooks/signature.js';
