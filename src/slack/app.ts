// The web role: a Bolt app that checks Slack's signature (Bolt's receivers do), parses and authorizes /mesh,
// acks within Slack's 3 seconds, then queues the job. Nothing slow runs before the ack.
import { App, type BlockAction, type CustomRoute, LogLevel, type RespondFn } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MeshSpec } from '../config/spec-types.ts';
import { errorMessage } from '../errors.ts';
import type { MeshCommand, ParseResult } from '../mesh-command.ts';
import { serveMetrics } from '../metrics/http.ts';
import { instrumentSlack } from '../metrics/slack.ts';
import { recordedAnchor } from '../queue/anchor.ts';
import { cancelJob } from '../queue/cancel.ts';
import { type EnqueueDeps, enqueueCommand, jobIdOf, jobNumber } from '../queue/enqueue.ts';
import { isMutatingJob, type JobName } from '../queue/job-types.ts';
import { APPLY_ACTION, APPLY_CANCEL_ACTION, expiredOutcome, PLAN_BLOCKS } from './apply-confirm.ts';
import { ChannelClosedError, makeChannelChecker, reportChannels } from './channels.ts';
import { makeSlackClients, webClientOptions } from './client.ts';
import {
  claimConfirmation,
  DOWN_CONFIRM_ACTION,
  DOWN_KEEP_ACTION,
  readConfirmValue,
  releaseConfirmation,
  settledBlocks,
} from './down-confirm.ts';
import { safeText, section } from './format.ts';
import { type AuthorizeFn, makeGate, type Requester } from './gate.ts';
import { helpBlocks } from './help.ts';
import { type HomeDeps, publishHome } from './home.ts';
import {
  JOB_CANCEL_ACTION,
  JOB_REFRESH_ACTION,
  JOB_RETRY_ACTION,
  JOB_STATUS_ACTION,
  type RerunValue,
  readRerunValue,
} from './job-buttons.ts';
import { slackLogger } from './logger.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

/** What the web role needs from the command layer (commands/); src/compose-root.ts wires it in. */
export interface CommandLayer {
  parse(text: string, spec: MeshSpec): ParseResult;
  /** Channel and role; the gate (gate.ts) checks the workspace first. */
  authorize: AuthorizeFn;
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
  slackTimeoutMs?: number;
  port: number;
  admins: string[];
  channels: string[];
  spec: MeshSpec;
  redis: Redis;
  log: Logger;
  enqueue: Omit<EnqueueDeps, 'slack'>;
}

interface JobOwner {
  userId: string;
  mutating: boolean;
  channelId: string;
  anchorTs?: string;
  title: string;
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
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        // The shared connection queues commands while Redis is away: answer 503 then, instead of hanging.
        const answer =
          opts.redis.status === 'ready'
            ? opts.redis.ping()
            : Promise.reject(new Error(`connection ${opts.redis.status}`));
        Promise.race([
          answer,
          new Promise((_r, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref()),
        ])
          .then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ready'))
          .catch((err: unknown) => {
            // The reason goes to the log only: /readyz is reachable from outside and the error names hosts.
            log.warn({ err }, 'readiness check: redis unreachable');
            res
              .writeHead(503, { 'content-type': 'text/plain' })
              .end("redis unreachable: the reason is in the bot's log");
          });
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
    // Bolt's own client serves Bolt alone; a 429 there is answered at once rather than pausing every call of it.
    clientOptions: {
      ...webClientOptions({ apiUrl: opts.slackApiUrl, timeoutMs: opts.slackTimeoutMs }, log),
      rejectRateLimitedCalls: true,
    },
    // Socket Mode still serves the health routes on PORT.
    installerOptions: socketMode ? { port: opts.port } : undefined,
  });
  // What the web role posts goes through meshops' own client: a 429 waits in the line of its own limit (one
  // channel's anchors, one tiered method), where the SDK's client would pause all of its calls for the Retry-After.
  const { calls: slack } = makeSlackClients(
    opts.botToken,
    { apiUrl: opts.slackApiUrl, timeoutMs: opts.slackTimeoutMs },
    log,
  );
  const enqueueDeps: EnqueueDeps = { ...opts.enqueue, slack: instrumentSlack(slack) };

  const channelCheck = makeChannelChecker(slack);
  const gate = makeGate({ admins: opts.admins, channels: opts.channels, authorize, client: slack, log });

  app.command('/mesh', async ({ command, ack, respond }) => {
    const text = command.text ?? '';
    const shown = `/mesh ${text}`.trim();
    const who: Requester = {
      userId: command.user_id,
      channelId: command.channel_id,
      teamIds: [command.team_id, (command as { user_team?: string }).user_team].filter((t): t is string => Boolean(t)),
      enterpriseId: command.enterprise_id || undefined,
      via: 'slash command',
    };
    const parsed = parseMeshCommand(text, opts.spec);
    if (!parsed.ok) {
      const foreign = await gate.refuseBadInput(who, shown);
      await ack({
        response_type: 'ephemeral',
        text: foreign ? `:no_entry: ${foreign}` : `${parsed.error}\n${parsed.usage}`,
      });
      return;
    }
    const cmd = parsed.command;
    const decision = await gate.admit(
      who,
      cmd,
      shown,
      cmd.kind === 'cancel' && cmd.jobId ? await jobOwner(cmd.jobId) : undefined,
    );
    if (!decision.allowed) {
      await ack({ response_type: 'ephemeral', text: `:no_entry: ${decision.reason}` });
      return;
    }
    if (cmd.kind === 'help') {
      const text = helpText(opts.spec, cmd.topic);
      const viewer = {
        userId: command.user_id,
        channelId: command.channel_id,
        admins: opts.admins,
        channels: opts.channels,
      };
      await ack({ response_type: 'ephemeral', text, blocks: helpBlocks(opts.spec.name, text, viewer) });
      return;
    }
    if (cmd.kind === 'cancel') {
      await ack();
      try {
        const job = cmd.jobId ? await jobOwner(cmd.jobId) : undefined;
        const said = await cancelJob(opts.enqueue.queues, opts.redis, opts.enqueue.prefix, cmd.jobId, command.user_id);
        await respond({ response_type: 'ephemeral', text: said });
        if (cmd.jobId) await markRemoved(said, job, cmd.jobId, command.user_id);
      } catch (err) {
        await respond({ response_type: 'ephemeral', text: `Could not cancel: ${escapeMrkdwn(errorMessage(err))}` });
      }
      return;
    }
    // Ack now; the anchor message in the channel is the visible answer.
    await ack();
    // Without --confirm, down and up first show what they would do and ask (down-confirm.ts, apply-confirm.ts).
    const name: JobName =
      cmd.kind === 'down' && !cmd.confirm
        ? 'down-preview'
        : cmd.kind === 'up' && !cmd.dryRun && !cmd.confirm
          ? 'up-plan'
          : cmd.kind;
    await queueOrApologize(name, cmd, command.user_id, command.channel_id, respond);
  });

  /** Who clicked, as the gate needs it: the user's team and the team the click came through. */
  const clicker = (body: BlockAction): Requester => ({
    userId: body.user.id,
    channelId: body.channel?.id ?? body.container?.channel_id ?? '',
    teamIds: [body.user.team_id, body.team?.id].filter((t): t is string => Boolean(t)),
    enterpriseId: body.enterprise?.id ?? undefined,
    via: 'button',
  });
  const refuse = (respond: RespondFn, reason: string) =>
    respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `:no_entry: ${reason.charAt(0).toUpperCase()}${reason.slice(1)}`,
    });

  const at = () => `${new Date().toISOString().slice(11, 16)} UTC`;
  const replaceConfirmation = (respond: RespondFn, body: BlockAction, outcome: string) =>
    respond({
      replace_original: true,
      text: safeText(outcome),
      blocks: settledBlocks(body.message?.blocks as unknown[] | undefined, outcome) as never,
    });

  /** Delete and Keep it share their checks: who may, which mesh, not expired, not used before. */
  const downButton =
    (kind: 'delete' | 'keep') =>
    async ({
      ack,
      body,
      action,
      respond,
    }: {
      ack: () => Promise<void>;
      body: BlockAction;
      action: BlockAction['actions'][number];
      respond: RespondFn;
    }) => {
      await ack();
      const who = clicker(body);
      const cmd: MeshCommand = { kind: 'down', confirm: opts.spec.name };
      const decision = await gate.admit(
        who,
        cmd,
        kind === 'delete' ? 'button: confirm /mesh down' : 'button: keep the mesh',
      );
      if (!decision.allowed) {
        await refuse(respond, `${decision.reason}. Nothing was deleted.`);
        return;
      }
      const value = 'value' in action ? String(action.value ?? '') : '';
      const check = readConfirmValue(value, opts.spec.name, Date.now());
      if (!check.ok) {
        log.info({ audit: true, userId: who.userId, reason: check.reason }, 'down confirmation not valid');
        if (check.expired) {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `:hourglass: ${check.reason} Nothing was deleted; run \`/mesh down\` again for a fresh confirmation.`,
          });
          await replaceConfirmation(
            respond,
            body,
            `:hourglass: This confirmation expired, nothing deleted (clicked by <@${who.userId}> at ${at()}). Run \`/mesh down\` again for a fresh one.`,
          );
        } else {
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: `:no_entry: ${check.reason} Nothing was deleted; run \`/mesh down\` again for a fresh confirmation.`,
          });
        }
        return;
      }
      const before = await claimConfirmation(opts.redis, opts.enqueue.prefix, check.value.nonce, {
        userId: who.userId,
        action: kind,
      });
      if (before) {
        log.info({ audit: true, userId: who.userId, usedBy: before.userId }, 'down confirmation already used');
        const how = before.action === 'keep' ? 'kept the mesh' : 'confirmed the teardown';
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: `:information_source: This confirmation was already used: <@${before.userId}> ${how}. It works once; nothing more happens.`,
        });
        return;
      }
      if (kind === 'keep') {
        await replaceConfirmation(
          respond,
          body,
          `:relieved: Kept: <@${who.userId}> chose to keep mesh *${opts.spec.name}* at ${at()}; nothing was deleted.`,
        );
        return;
      }
      // Queue first, then say so: a failure to queue must not leave "teardown follows" with nothing following.
      const queued = await queueOrApologize('down', cmd, who.userId, who.channelId, respond);
      if (!queued) {
        await releaseConfirmation(opts.redis, opts.enqueue.prefix, check.value.nonce);
        return;
      }
      await replaceConfirmation(
        respond,
        body,
        `:wastebasket: Confirmed by <@${who.userId}> at ${at()}: the teardown of mesh *${opts.spec.name}* is job ${jobNumber(queued.jobId)}, below.`,
      );
    };
  app.action<BlockAction>(DOWN_CONFIRM_ACTION, downButton('delete'));

  type ButtonArgs = {
    ack: () => Promise<void>;
    body: BlockAction;
    action: BlockAction['actions'][number];
    respond: RespondFn;
  };
  const buttonValue = (action: ButtonArgs['action']) => ('value' in action ? String(action.value ?? '') : '');

  app.action<BlockAction>(JOB_CANCEL_ACTION, async ({ ack, body, action, respond }: ButtonArgs) => {
    await ack();
    const jobId = buttonValue(action);
    const job = await jobOwner(jobId);
    // From the App Home the click has no channel: it is decided for the channel the job runs in, and answered
    // in the Home tab itself (a view has no response_url).
    const fromHome = body.container?.type === 'view';
    const who = fromHome && job ? { ...clicker(body), channelId: job.channelId } : clicker(body);
    const answer = (text: string) =>
      fromHome
        ? publishHome(homeDeps, who.userId, text)
        : respond({ response_type: 'ephemeral', replace_original: false, text });
    const decision = await gate.admit(who, { kind: 'cancel', jobId }, `button: Cancel job ${jobId}`, job);
    if (!decision.allowed) {
      await answer(`:no_entry: ${decision.reason.charAt(0).toUpperCase()}${decision.reason.slice(1)}`);
      return;
    }
    try {
      const said = await cancelJob(opts.enqueue.queues, opts.redis, opts.enqueue.prefix, jobId, who.userId);
      await markRemoved(said, job, jobId, who.userId);
      await answer(said);
    } catch (err) {
      await answer(`Could not cancel: ${escapeMrkdwn(errorMessage(err))}`);
    }
  });

  const homeDeps: HomeDeps = {
    client: slack,
    queues: opts.enqueue.queues,
    redis: opts.redis,
    prefix: opts.enqueue.prefix,
    mesh: opts.spec.name,
    admins: opts.admins,
    channels: opts.channels,
    describe: opts.enqueue.describe,
    log,
  };
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await publishHome(homeDeps, event.user).catch((err: unknown) =>
      log.warn({ err }, 'could not publish the App Home'),
    );
  });

  /** Retry, Status and Refresh start a job as the command itself would, with the same rights. */
  const rerun =
    (label: string, pick: (value: string) => RerunValue | undefined) =>
    async ({ ack, body, action, respond }: ButtonArgs) => {
      await ack();
      const who = clicker(body);
      const job = pick(buttonValue(action));
      if (!job) return void (await refuse(respond, 'this button is not one meshops made'));
      const decision = await gate.admit(who, job.command, `button: ${label} (${describeCommand(job.command)})`);
      if (!decision.allowed) return void (await refuse(respond, decision.reason));
      await queueOrApologize(job.name, job.command, who.userId, who.channelId, respond);
    };
  const statusNow = (): RerunValue => ({ name: 'status', command: { kind: 'status', wait: false } });
  app.action<BlockAction>(JOB_RETRY_ACTION, rerun('Retry', readRerunValue));
  app.action<BlockAction>(JOB_STATUS_ACTION, rerun('Status', statusNow));
  app.action<BlockAction>(JOB_REFRESH_ACTION, rerun('Refresh', statusNow));

  /** A job taken off the queue before it started: its anchor says so and loses its Cancel button. */
  async function markRemoved(said: string, job: JobOwner | undefined, jobId: string, by: string): Promise<void> {
    if (!said.startsWith('Removed job') || !job?.anchorTs) return;
    const text = `:no_entry_sign: *${job.title}* · job ${jobNumber(jobId)} · asked by <@${job.userId}>\nRemoved from the queue by <@${by}> before it started: nothing was done.`;
    // A final state, so it goes now, but it counts against the app's edits (Slack counts chat.update per app).
    await opts.enqueue.editBudget?.take(Date.now(), true);
    await slack.chat
      .update({ channel: job.channelId, ts: job.anchorTs, text: safeText(text), blocks: [section(text)] })
      .catch((err: unknown) => log.warn({ err }, 'could not mark the removed job'));
  }

  /** Who asked a job and whether it changes the mesh: whoever asked a read-only job may cancel it. */
  async function jobOwner(jobId: string): Promise<JobOwner | undefined> {
    try {
      const id = jobIdOf(jobId);
      const job = (await opts.enqueue.queues.changes.getJob(id)) ?? (await opts.enqueue.queues.reads.getJob(id));
      if (!job) return undefined;
      const anchorTs = job.data.anchorTs ?? (await recordedAnchor(opts.redis, opts.enqueue.prefix, id));
      return {
        userId: job.data.userId,
        mutating: isMutatingJob(job.data),
        channelId: job.data.channelId,
        anchorTs,
        title: opts.enqueue.describe(job.data),
      };
    } catch {
      return undefined;
    }
  }
  app.action<BlockAction>(DOWN_KEEP_ACTION, downButton('keep'));

  /** Apply and Cancel of a `/mesh up` plan: the down confirmation's checks, and one click (or the expiry) wins. */
  const applyButton =
    (kind: 'apply' | 'cancel') =>
    async ({ ack, body, action, respond }: ButtonArgs) => {
      await ack();
      const who = clicker(body);
      const cmd: MeshCommand = { kind: 'up', dryRun: false, confirm: opts.spec.name };
      const shown = kind === 'apply' ? 'button: Apply /mesh up' : 'button: cancel the /mesh up plan';
      const decision = await gate.admit(who, cmd, shown);
      if (!decision.allowed) return void (await refuse(respond, `${decision.reason}. Nothing was changed.`));
      const check = readConfirmValue(buttonValue(action), opts.spec.name, Date.now());
      const settle = (outcome: string) =>
        respond({
          replace_original: true,
          text: safeText(outcome),
          blocks: settledBlocks(body.message?.blocks as unknown[] | undefined, outcome, PLAN_BLOCKS) as never,
        });
      const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
      if (!check.ok) {
        log.info({ audit: true, userId: who.userId, reason: check.reason }, 'up plan confirmation not valid');
        if (!check.expired || !check.value) return void (await tell(`:no_entry: ${check.reason} Nothing was changed.`));
        // The expiry job may not have run yet (no worker up): this click settles the message the same way.
        const { nonce, exp } = check.value;
        const used = await claimConfirmation(
          opts.redis,
          opts.enqueue.prefix,
          nonce,
          {
            userId: who.userId,
            action: 'expired',
          },
          'up',
        );
        await tell(':hourglass: This plan expired: nothing was changed. Run `/mesh up` again for a fresh plan.');
        if (!used) await settle(expiredOutcome(opts.spec.name, exp));
        return;
      }
      const before = await claimConfirmation(
        opts.redis,
        opts.enqueue.prefix,
        check.value.nonce,
        { userId: who.userId, action: kind },
        'up',
        check.value.exp - Date.now(),
      );
      if (before) {
        log.info({ audit: true, userId: who.userId, usedBy: before.userId }, 'up plan confirmation already used');
        const how =
          before.action === 'expired'
            ? 'it expired'
            : `<@${before.userId}> ${before.action === 'cancel' ? 'cancelled it' : 'applied it'}`;
        return void (await tell(
          `:information_source: This plan was already settled: ${how}. It works once; nothing more happens.`,
        ));
      }
      if (kind === 'cancel') {
        await settle(`:no_entry_sign: Cancelled by <@${who.userId}> at ${at()}: nothing was changed.`);
        return;
      }
      // Queue first, then say so: a failure to queue gives the button back.
      const queued = await queueOrApologize('up', cmd, who.userId, who.channelId, respond);
      if (!queued) {
        await releaseConfirmation(opts.redis, opts.enqueue.prefix, check.value.nonce, 'up');
        return;
      }
      await settle(
        `:rocket: Applied by <@${who.userId}> at ${at()}: building mesh *${opts.spec.name}* is job ${jobNumber(queued.jobId)}, below.`,
      );
    };
  app.action<BlockAction>(APPLY_ACTION, applyButton('apply'));
  app.action<BlockAction>(APPLY_CANCEL_ACTION, applyButton('cancel'));

  const queueOrApologize = async (
    name: JobName,
    cmd: MeshCommand,
    userId: string,
    channelId: string,
    respond: (msg: { response_type: 'ephemeral'; text: string; replace_original?: boolean }) => Promise<unknown>,
  ) => {
    // A job whose messages cannot be posted would run unseen: say what to do instead, and queue nothing.
    const where = await channelCheck(channelId);
    if (where.usable === false) {
      log.info({ userId, channelId, reason: where.reason }, 'not queued: the bot cannot post in this channel');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `:warning: \`${describeCommand(cmd)}\` was not queued: ${where.advice}.`,
      });
      return undefined;
    }
    try {
      const queued = await enqueueCommand(enqueueDeps, { name, command: cmd, userId, channelId });
      if (queued.joined) {
        log.info({ jobId: queued.jobId, name, userId, channelId }, 'joined the open status');
        return queued;
      }
      log.info({ jobId: queued.jobId, name, userId, channelId, position: queued.position }, 'job queued');
      if (!queued.anchorTs) {
        await respond({
          response_type: 'ephemeral',
          text: `Queued \`${describeCommand(cmd)}\` as job ${jobNumber(queued.jobId)}.`,
        });
      }
      return queued;
    } catch (err) {
      if (err instanceof ChannelClosedError) {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: `:warning: \`${describeCommand(cmd)}\` was not queued: ${err.advice}.`,
        });
        return undefined;
      }
      log.error({ err }, 'could not queue the job');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `:x: Could not queue \`${describeCommand(cmd)}\`: ${escapeMrkdwn(errorMessage(err))}. Nothing was started; try again when Redis is reachable.`,
      });
      return undefined;
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
      // In the background: a slow Slack must not hold the start; the log says which channels cannot be used.
      void reportChannels(channelCheck, opts.channels, log).catch((err: unknown) =>
        log.warn({ err }, 'could not check MESH_CHANNELS'),
      );
    },
    stop: async () => {
      await app.stop();
    },
  };
}
