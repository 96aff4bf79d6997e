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
export { verifyWebhook, WebhookVerificationError, type VerifyOptions } from '../webhooks/signature.js';
