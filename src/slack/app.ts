// The web role: a Bolt app that checks Slack's signature (Bolt's receivers do), parses and authorizes /mesh,
// acks within Slack's 3 seconds, then queues the job. Nothing slow runs before the ack.
import { App, LogLevel, type CustomRoute } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MeshSpec } from '../config/spec-types.ts';
import { errorMessage } from '../errors.ts';
import { cancelJob } from '../queue/cancel.ts';
import { enqueueCommand, type EnqueueDeps } from '../queue/enqueue.ts';
import type { JobName } from '../queue/job-types.ts';
import type { MeshCommand, ParseResult } from '../mesh-command.ts';
import { DOWN_CONFIRM_ACTION, readConfirmValue } from './down-confirm.ts';
import { slackLogger } from './logger.ts';
import { serveMetrics } from '../metrics/http.ts';
import { instrumentSlack } from '../metrics/slack.ts';

/** What the web role needs from the command layer (commands/); src/compose-root.ts wires it in. */
export interface CommandLayer {
  parse(text: string, spec: MeshSpec): ParseResult;
  authorize(
    req: { userId: string; channelId: string; command: MeshCommand },
    policy: { admins: readonly string[]; channels: readonly string[] },
  ): { allowed: true } | { allowed: false; reason: string };
  /** The command as the user would type it. */
  describe(cmd: MeshCommand): string;
  help(spec: MeshSpec, topic?: string): string;
}

export interface WebOptions {
  commands: CommandLayer;
  botToken: string;
  signingSecret: string;
  appToken?: string;
  slackApiUrl?: string;
  port: number;
  admins: string[];
  channels: string[];
  spec: MeshSpec;
  redis: Redis;
  log: Logger;
  enqueue: Omit<EnqueueDeps, 'slack'>;
}

export interface WebApp {
  app: App;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createWebApp(opts: WebOptions): WebApp {
  const log = opts.log.child({ role: 'web' });
  const { parse: parseMeshCommand, authorize, describe: describeCommand, help: helpText } = opts.commands;
  const health: CustomRoute[] = [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok') },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        // The shared connection queues commands while Redis is away: answer 503 then, instead of hanging.
        const answer = opts.redis.status === 'ready' ? opts.redis.ping() : Promise.reject(new Error(`connection ${opts.redis.status}`));
        Promise.race([answer, new Promise((_r, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref())])
          .then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ready'))
          .catch((err: unknown) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`redis unreachable: ${errorMessage(err)}`));
      },
    },
    { path: '/metrics', method: ['GET'], handler: (_req, res) => void serveMetrics(res) },
  ];
  const socketMode = Boolean(opts.appToken);
  const app = new App({
    token: opts.botToken,
    signingSecret: opts.signingSecret,
    appToken: opts.appToken,
    socketMode,
    port: opts.port,
    customRoutes: health,
    logLevel: LogLevel.WARN,
    logger: slackLogger(log),
    clientOptions: opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : undefined,
    // Socket Mode still serves the health routes on PORT.
    installerOptions: socketMode ? { port: opts.port } : undefined,
  });
  const enqueueDeps: EnqueueDeps = { ...opts.enqueue, slack: instrumentSlack(app.client) };

  const audit = (userId: string, channelId: string, text: string, allowed: boolean, reason?: string) =>
    log.info({ audit: true, userId, channelId, command: `/mesh ${text}`.trim(), allowed, reason }, 'command decision');

  app.command('/mesh', async ({ command, ack, respond }) => {
    const text = command.text ?? '';
    const parsed = parseMeshCommand(text, opts.spec);
    if (!parsed.ok) {
      audit(command.user_id, command.channel_id, text, false, 'bad input');
      await ack({ response_type: 'ephemeral', text: `${parsed.error}\n${parsed.usage}` });
      return;
    }
    const cmd = parsed.command;
    const decision = authorize({ userId: command.user_id, channelId: command.channel_id, command: cmd }, { admins: opts.admins, channels: opts.channels });
    audit(command.user_id, command.channel_id, text, decision.allowed, decision.allowed ? undefined : decision.reason);
    if (!decision.allowed) {
      await ack({ response_type: 'ephemeral', text: `:no_entry: ${decision.reason}` });
      return;
    }
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: helpText(opts.spec, cmd.topic) });
      return;
    }
    if (cmd.kind === 'cancel') {
      await ack();
      try {
        await respond({ response_type: 'ephemeral', text: await cancelJob(opts.enqueue.queues, opts.redis, opts.enqueue.prefix, cmd.jobId, command.user_id) });
      } catch (err) {
        await respond({ response_type: 'ephemeral', text: `Could not cancel: ${errorMessage(err)}` });
      }
      return;
    }
    // Ack now; the anchor message in the channel is the visible answer.
    await ack();
    const name: JobName = cmd.kind === 'down' && !cmd.confirm ? 'down-preview' : cmd.kind;
    await queueOrApologize(name, cmd, command.user_id, command.channel_id, respond);
  });

  app.action(DOWN_CONFIRM_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    const userId = body.user.id;
    const channelId = body.channel?.id ?? '';
    const value = 'value' in action ? String(action.value ?? '') : '';
    const check = readConfirmValue(value, opts.spec.name, Date.now());
    const isAdmin = opts.admins.includes(userId);
    audit(userId, channelId, 'down (confirm button)', isAdmin && check.ok, !isAdmin ? 'not an admin' : check.ok ? undefined : check.reason);
    if (!isAdmin) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:no_entry: Only mesh admins may confirm \`/mesh down\`. Nothing was deleted.` });
      return;
    }
    if (!check.ok) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:hourglass: ${check.reason} Nothing was deleted; run \`/mesh down\` again for a fresh confirmation.` });
      return;
    }
    await respond({ replace_original: true, text: `:wastebasket: \`/mesh down\` of mesh *${opts.spec.name}* confirmed by <@${userId}>; the teardown job follows below.` });
    await queueOrApologize('down', { kind: 'down', confirm: opts.spec.name }, userId, channelId, respond);
  });

  const queueOrApologize = async (name: JobName, cmd: MeshCommand, userId: string, channelId: string, respond: (msg: { response_type: 'ephemeral'; text: string; replace_original?: boolean }) => Promise<unknown>) => {
    try {
      const queued = await enqueueCommand(enqueueDeps, { name, command: cmd, userId, channelId });
      log.info({ jobId: queued.jobId, name, userId, channelId, position: queued.position }, 'job queued');
      if (!queued.anchorTs) {
        await respond({ response_type: 'ephemeral', text: `Queued \`${describeCommand(cmd)}\` as job ${queued.jobId}.` });
      }
    } catch (err) {
      log.error({ err }, 'could not queue the job');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:x: Could not queue \`${describeCommand(cmd)}\`: ${errorMessage(err)}. Nothing was started; try again when Redis is reachable.` });
    }
  };

  app.error(async (err) => {
    log.error({ err }, 'bolt error');
  });

  return {
    app,
    start: async () => {
      await app.start(opts.port);
      log.info({ port: opts.port, socketMode }, 'web role listening');
    },
    stop: async () => {
      await app.stop();
    },
  };
}
