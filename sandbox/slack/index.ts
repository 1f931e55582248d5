// The Slack half of the sandbox: what tests, the console and the end-to-end runs import.
export { startSlackStandIn } from './web-api.ts';
export type { SlackStandIn, SlackStandInOptions, Delivery, DeliveryResult, MethodStats } from './web-api.ts';
export { signSlackRequest, sendSlashCommand, sendBlockAction, slashCommandFields, blockActionPayload } from './sender.ts';
export type { SlashCommandInput, BlockActionInput, SentRequest } from './sender.ts';
export { renderChannel, renderMessage, messageText, blocksToText, watchChannel } from './transcript.ts';
export type { TranscriptOptions, WatchOptions } from './transcript.ts';
export { BOT, TEAM } from './state.ts';
export type { SlackNotification, SlackMessage, SlackChange, SlackFile, SlackUser, SlackChannel, Workspace } from './state.ts';
export { DEFAULT_RATE_LIMITS } from './rate-limits.ts';
export type { RateLimitConfig, BucketRule } from './rate-limits.ts';
