// The Slack half of the sandbox: what tests, the console and the end-to-end runs import.

export type { BucketRule, RateLimitConfig } from './rate-limits.ts';
export { DEFAULT_RATE_LIMITS } from './rate-limits.ts';
export type { BlockActionInput, SentRequest, SlashCommandInput } from './sender.ts';
export {
  blockActionPayload,
  sendBlockAction,
  sendSlashCommand,
  signSlackRequest,
  slashCommandFields,
} from './sender.ts';
export type {
  SlackChange,
  SlackChannel,
  SlackFile,
  SlackMessage,
  SlackNotification,
  SlackUser,
  Workspace,
} from './state.ts';
export { BOT, TEAM } from './state.ts';
export type { TranscriptOptions, WatchOptions } from './transcript.ts';
export { blocksToText, messageText, renderChannel, renderMessage, watchChannel } from './transcript.ts';
export type { Delivery, DeliveryResult, MethodStats, SlackStandIn, SlackStandInOptions } from './web-api.ts';
export { startSlackStandIn } from './web-api.ts';
