export * from './schema/index.ts'
export { McpServer, errorResponse, type ErrorListener, type McpFilter, type McpServerOptions, type ServerNotificationListener } from './server.ts'
export { McpContext, type ClientRequestOptions, type McpContextExtra, type RequestChannel } from './context.ts'
export { statelessSession, type ClientSession } from './session.ts'
export { readMessage, requestIdOf, type InboundMessage } from './messages.ts'
export { envelopeClaim, envelopeSession, readEnvelope, type EnvelopeProblem, type EnvelopeReading } from './envelope.ts'
export { paramsDigest, RequestStateCodec, type OpenResult, type RequestStateOptions, type StateBinding } from './request-state.ts'
export type { CacheHint, CachingOptions } from './revisions.ts'
export { headerParamsOf, type HeaderParam } from './tool-headers.ts'
export { compile, explainSettings, type Validator } from './validation.ts'
export { UriTemplate } from './uri-template.ts'
export { inSlices } from './slices.ts'
export { IdleWaiters } from './idle.ts'
export { LinkedList, type Link } from './linked-list.ts'
export type { McpItemConfig, McpItemKind, Registration } from './registry.ts'
export type { JsonObjectSchema, TaskSupport, ToolDefinition, ToolResult, ToolTaskOptions } from './tools.ts'
export { declaresTasks, taskView, type TaskOptions } from './tasks.ts'
export {
  acceptAnswers, applyEnd, isUnfinished, MemoryTaskStore, TaskRecordSchema,
  type TaskEnd, type TaskNotice, type TaskRecord, type TaskRef, type TaskStore
} from './task-store.ts'
export { APP_MIME_TYPE, clientSupportsApps, type AppCsp, type AppPermissions, type AppResourceDefinition, type ToolUi } from './apps.ts'
export type { ResourceDefinition, ResourceTemplateDefinition } from './resources.ts'
export type { PromptArguments, PromptDefinition } from './prompts.ts'
export type { Completer } from './completion.ts'
export { ErrorCode, McpError, UserError, errorCodes, type ErrorCodeValue } from './errors.ts'
export {
  DEFAULT_HTTP_PROTOCOL_VERSION, ENVELOPE_VERSIONS, HANDSHAKE_VERSIONS, LATEST_PROTOCOL_VERSION, PROTOCOL_VERSIONS,
  isEnvelopeVersion, isHandshakeVersion, isSupportedVersion, negotiateVersion, versionFeatures,
  type EnvelopeVersion, type HandshakeVersion, type ProtocolVersion, type VersionFeatures
} from './versions.ts'
export {
  failureChannel, reportFailure, requestChannel, taskChannel, taskEndedChannel,
  type FailureEvent, type McpRequestEvent, type McpTaskEvent, type TaskEndedEvent
} from './channels.ts'
