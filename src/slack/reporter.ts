// Live progress of one job in Slack: the anchor message (step n of N, elapsed, a bar, what is happening now),
// edited at most about once a second however fast steps finish, and one thread reply per finished step.
// Slack's 429s are honoured by the WebClient itself (it waits Retry-After and tries again); a progress edit that
// meets one is skipped instead (its client answers at once), since the next edit carries the newest state.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { UnchangedVerb } from '../steps/step.ts';
import { formatDuration } from '../steps/wait.ts';
import { type EditBudget, processEditBudget } from './edit-budget.ts';
import {
  codeBlock,
  context,
  escapeMrkdwn,
  fitSection,
  INLINE_EXCERPT_LIMIT,
  progressBar,
  safeFileText,
  safeText,
  section,
} from './format.ts';
import { jobButtons, type RerunValue } from './job-buttons.ts';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'waiting';

export interface ReporterOptions {
  client: WebClient;
  channel: string;
  anchorTs?: string;
  /** "/mesh up" */
  title: string;
  jobId: string;
  userId: string;
  clock: Clock;
  log: Logger;
  minEditIntervalMs?: number;
  /** What the job runs, for its Retry and Refresh buttons. */
  job?: RerunValue;
  /** The client for progress edits (one that answers a 429 at once); default `client`. */
  editClient?: WebClient;
  /** Shared by every job of the app (shared-edit-budget.ts); default this process's own. */
  budget?: EditBudget;
  /** Who may post the anchor (src/queue/anchor.ts): the web role may be posting it; then it is used instead. */
  anchorClaim?: {
    take(): Promise<'mine' | { ts: string }>;
    record(ts: string): Promise<string>;
    release(): Promise<void>;
  };
}

const ICON: Record<JobState, string> = {
  queued: ':hourglass_flowing_sand:',
  waiting: ':hourglass_flowing_sand:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/** A check's verdict on the anchor: a green tick on a half-built mesh would mislead. */
const VERDICT_ICON: Record<'ok' | 'warning' | 'failing', string> = {
  ok: ':white_check_mark:',
  warning: ':large_yellow_circle:',
  failing: ':red_circle:',
};

/** The head of a reply for steps that changed nothing, by what they did. */
const UNCHANGED_HEAD: Record<UnchangedVerb, string> = {
  'in place': 'already in place',
  gone: 'already gone, nothing to delete',
  checked: 'checked, nothing to change',
};

export class ProgressReporter {
  private readonly opts: ReporterOptions;
  private readonly minEditIntervalMs: number;
  private anchorTs?: string;
  private anchoring?: Promise<string>;
  private state: JobState = 'running';
  private total = 0;
  private done = 0;
  private now = '';
  private headline = '';
  private body: string[] = [];
  private verdict?: 'ok' | 'warning' | 'failing';
  private readonly inPlace: Array<{ title: string; summary: string; ms: number; verb: UnchangedVerb }> = [];
  private readonly startedAt: number;
  /** When finish() was called: the final message's elapsed time stops there. */
  private endedAt: number | undefined;
  private lastEditAt = 0;
  /** What the anchor shows as this reporter last sent it: an edit that would change nothing is not sent. */
  private shown?: string;
  private editTimer?: NodeJS.Timeout;
  private editChain: Promise<void> = Promise.resolve();
  private threadChain: Promise<void> = Promise.resolve();
  edits = 0;

  constructor(opts: ReporterOptions) {
    this.opts = opts;
    this.anchorTs = opts.anchorTs;
    // chat.update is a tier-3 method (about 50 a minute): 1.2 s keeps one job under it with room to spare.
    this.minEditIntervalMs = opts.minEditIntervalMs ?? 1200;
    this.startedAt = opts.clock.now();
  }

  get anchor(): string | undefined {
    return this.anchorTs;
  }

  /**
   * The anchor, posted when the job has none yet (a job queued without Slack, or a lost anchor); when another
   * process holds the claim to post it, the one it posts. Edits and replies asking at once share one attempt.
   */
  ensureAnchor(): Promise<string> {
    if (this.anchorTs) return Promise.resolve(this.anchorTs);
    this.anchoring ??= this.postAnchor().finally(() => {
      this.anchoring = undefined;
    });
    return this.anchoring;
  }

  private async postAnchor(): Promise<string> {
    const claim = this.opts.anchorClaim;
    const got = claim ? await claim.take() : 'mine';
    if (got !== 'mine') {
      this.anchorTs = got.ts;
      return got.ts;
    }
    try {
      const view = this.render();
      const res = await this.opts.client.chat.postMessage({ channel: this.opts.channel, ...view });
      const mine = res.ts as string;
      const ts = claim ? await claim.record(mine) : mine;
      if (ts === mine) this.shown = JSON.stringify(view);
      // Only when the claim had expired and another holder posted meanwhile: one message per job stays.
      if (ts !== mine)
        await this.opts.client.chat.delete({ channel: this.opts.channel, ts: mine }).catch(() => undefined);
      this.anchorTs = ts;
      return ts;
    } catch (err) {
      await claim?.release().catch(() => undefined);
      throw err;
    }
  }

  setTotal(total: number): void {
    this.total = total;
    this.scheduleEdit();
  }

  stepStarted(title: string): void {
    this.now = title;
    this.scheduleEdit();
  }

  note(message: string): void {
    this.now = message;
    this.scheduleEdit();
  }

  /** A finished step; one that found everything in place (`changed: false`) joins one reply with its like. */
  stepFinished(
    title: string,
    summary: string,
    ms: number,
    excerpt?: string,
    opts: { changed?: boolean; unchanged?: UnchangedVerb } = {},
  ): void {
    this.done += 1;
    this.scheduleEdit();
    const verb = opts.unchanged ?? 'in place';
    if (opts.changed === false && !excerpt) {
      if (this.inPlace.length && this.inPlace[0]!.verb !== verb) this.flushInPlace();
      this.inPlace.push({ title, summary, ms, verb });
      return;
    }
    this.flushInPlace();
    const lead = opts.changed === false ? `${UNCHANGED_HEAD[verb]}: ` : '';
    this.reply(
      `:white_check_mark: *${title}* (${formatDuration(ms)}): ${lead}${summary}`,
      excerpt,
      `job-${this.opts.jobId}-${slug(title)}.txt`,
    );
  }

  /** The steps that found everything in place since the last reply, as one reply. */
  private flushInPlace(): void {
    if (this.inPlace.length === 0) return;
    const steps = this.inPlace.splice(0);
    const ms = steps.reduce((sum, s) => sum + s.ms, 0);
    const lines = steps.map((s) => `• *${s.title}*: ${s.summary}`);
    const count = steps.length === 1 ? '1 step' : `${steps.length} steps`;
    const head = `:white_check_mark: ${count} ${UNCHANGED_HEAD[steps[0]!.verb]} (${formatDuration(ms)}):`;
    this.reply(`${head}\n${lines.join('\n')}`);
  }

  stepFailed(title: string, cause: string, ms: number): void {
    this.flushInPlace();
    this.scheduleEdit();
    // The cause is an error's text from outside (AWS, Kubernetes): shown as written, never as markup.
    this.reply(`:x: *${title}* failed after ${formatDuration(ms)}: ${escapeMrkdwn(cause)}`);
  }

  /** A thread reply; an excerpt too long for a message goes up as a file in the thread. */
  reply(text: string, excerpt?: string, filename = 'output.txt'): Promise<void> {
    this.threadChain = this.threadChain.then(async () => {
      try {
        const threadTs = await this.ensureAnchor();
        const safeExcerpt = excerpt ? safeFileText(excerpt) : undefined;
        if (safeExcerpt && safeExcerpt.length > INLINE_EXCERPT_LIMIT) {
          // One message: the file with the reply as its comment.
          await this.opts.client.files.uploadV2({
            channel_id: this.opts.channel,
            thread_ts: threadTs,
            content: safeExcerpt,
            filename,
            title: filename,
            initial_comment: fitSection(safeText(text)),
          });
          return;
        }
        const blocks = [section(text)];
        if (safeExcerpt) blocks.push(section(codeBlock(safeExcerpt)));
        await this.opts.client.chat.postMessage({
          channel: this.opts.channel,
          thread_ts: threadTs,
          text: safeText(text),
          blocks,
        });
      } catch (err) {
        this.opts.log.warn({ err }, 'could not post a thread reply');
      }
    });
    return this.threadChain;
  }

  /** A file (the topology picture) in the job's thread, after the replies before it. */
  attach(file: Buffer, filename: string, comment?: string): Promise<void> {
    this.threadChain = this.threadChain.then(async () => {
      try {
        const threadTs = await this.ensureAnchor();
        const extra = comment ? { initial_comment: comment } : {};
        await this.opts.client.files.uploadV2({
          channel_id: this.opts.channel,
          thread_ts: threadTs,
          file,
          filename,
          title: filename,
          ...extra,
        });
      } catch (err) {
        this.opts.log.warn({ err }, 'could not upload a file to the thread');
      }
    });
    return this.threadChain;
  }

  /** Final state of the anchor; waits until every pending reply and edit has gone out. */
  async finish(
    state: JobState,
    headline: string,
    body: string[] = [],
    verdict?: 'ok' | 'warning' | 'failing',
  ): Promise<void> {
    // The job ended now: the time it took does not include the thread's replies still going out (Slack takes
    // about one post a second per channel, so a long thread drains for many seconds after the work is done).
    this.endedAt = this.opts.clock.now();
    this.flushInPlace();
    this.state = state;
    this.verdict = state === 'succeeded' ? verdict : undefined;
    this.headline = headline;
    this.body = body;
    this.now = '';
    await this.threadChain;
    // The anchor shows the outcome first; then the reply that notifies the requester points at it.
    await this.editNow(true);
    await this.announceEnd(state, headline);
  }

  /**
   * The end of a job as a new thread reply that mentions the requester: edits notify nobody and the requester is
   * not subscribed to the bot's thread. A failure is also shown in the channel (reply_broadcast).
   */
  private async announceEnd(state: JobState, headline: string): Promise<void> {
    const { title, jobId, userId } = this.opts;
    const took = formatDuration((this.endedAt ?? this.opts.clock.now()) - this.startedAt);
    const verb =
      state === 'succeeded'
        ? `finished in ${took}`
        : state === 'failed'
          ? `failed after ${took}`
          : `was cancelled after ${took}`;
    const first = headline.split('\n')[0] ?? '';
    const icon = this.verdict ? VERDICT_ICON[this.verdict] : ICON[state];
    const text = `<@${userId}> ${icon} *${title}* (job ${jobId}) ${verb}${first ? `: ${first}` : '.'}`;
    try {
      const threadTs = await this.ensureAnchor();
      await this.opts.client.chat.postMessage({
        channel: this.opts.channel,
        thread_ts: threadTs,
        reply_broadcast: state === 'failed',
        text: safeText(text),
        blocks: [section(text)],
      });
    } catch (err) {
      this.opts.log.warn({ err }, 'could not tell the requester that the job ended');
    }
  }

  async setState(state: JobState, headline: string): Promise<void> {
    this.state = state;
    this.headline = headline;
    await this.editNow(state !== 'running');
  }

  async flush(): Promise<void> {
    this.flushInPlace();
    await this.threadChain;
    if (this.editTimer) await this.editNow();
    await this.editChain;
  }

  render(): { text: string; blocks: object[] } {
    const { title, jobId, userId } = this.opts;
    const elapsed = formatDuration((this.endedAt ?? this.opts.clock.now()) - this.startedAt);
    const icon = this.verdict ? VERDICT_ICON[this.verdict] : ICON[this.state];
    const head = `${icon} *${title}* · job ${jobId} · asked by <@${userId}>`;
    const lines = [head];
    if (this.headline) lines.push(this.headline);
    if (this.total > 0)
      lines.push(
        `Step ${Math.min(this.done + (this.state === 'running' ? 1 : 0), this.total)} of ${this.total} · ${elapsed} elapsed\n\`${progressBar(this.done, this.total)}\``,
      );
    if (this.now && this.state === 'running') lines.push(`Now: ${this.now}`);
    const text = lines.join('\n');
    // Slack allows 50 blocks a message; a status of many clusters keeps well below.
    const blocks: object[] = [section(text), ...this.body.slice(0, 45).map((b) => section(b))];
    if (this.body.length > 45) blocks.push(context(`… and ${this.body.length - 45} more`));
    const buttons = jobButtons(this.state, jobId, this.opts.job);
    if (buttons) blocks.push(buttons);
    return { text: safeText(text), blocks };
  }

  private scheduleEdit(): void {
    if (this.editTimer) return;
    const wait = Math.max(0, this.lastEditAt + this.minEditIntervalMs - this.opts.clock.now());
    this.editTimer = setTimeout(() => void this.editNow(), wait);
  }

  /** Edits the anchor now, within the shared budget; `final` edits wait for the budget and for a 429 to pass. */
  private editNow(final = false): Promise<void> {
    if (this.editTimer) {
      clearTimeout(this.editTimer);
      this.editTimer = undefined;
    }
    this.editChain = this.editChain.then(async () => {
      this.lastEditAt = this.opts.clock.now();
      if (!this.anchorTs) {
        const ts = await this.ensureAnchor().catch((err: unknown) => {
          this.opts.log.warn({ err }, 'could not post the progress message');
          return undefined;
        });
        // The anchor may be one the web role posted ("Queued"): edited below to the current state like any other.
        if (!ts) return;
      }
      const anchorTs = this.anchorTs as string;
      // Posted just now with this very content (a joiner answered on an anchor posted with the answer): one call
      // fewer against chat.update's limit, which is the app's, not the channel's.
      if (JSON.stringify(this.render()) === this.shown) return;
      const budget = this.opts.budget ?? processEditBudget;
      // Several final states at once take turns: each 429 waits its Retry-After, with a little jitter.
      for (let attempt = 0; attempt < 10; attempt++) {
        // A final state goes at once (it is the one edit that must arrive); the progress edits after it wait.
        const wait = await budget.take(Date.now(), final);
        if (wait > 0) return this.retryEditIn(wait);
        try {
          this.edits += 1;
          const view = this.render();
          // A final state through the client that waits out Slack's 429s in line (src/slack/client.ts).
          await (final ? this.opts.client : (this.opts.editClient ?? this.opts.client)).chat.update({
            channel: this.opts.channel,
            ts: anchorTs,
            ...view,
          });
          this.shown = JSON.stringify(view);
          return;
        } catch (err) {
          const retryAfterSec =
            (err as { code?: string; retryAfter?: number }).code === 'slack_webapi_rate_limited_error'
              ? ((err as { retryAfter?: number }).retryAfter ?? 1)
              : undefined;
          if (retryAfterSec === undefined) {
            this.opts.log.warn({ err }, 'could not update the progress message');
            return;
          }
          // Skipped, not queued behind: the next edit carries the newest state anyway.
          if (!final) return this.retryEditIn(retryAfterSec * 1000);
          await sleep(retryAfterSec * 1000 + Math.random() * 500);
        }
      }
    });
    return this.editChain;
  }

  private retryEditIn(ms: number): void {
    if (this.editTimer) return;
    this.editTimer = setTimeout(() => void this.editNow(), ms);
  }
}

/** "Calico ready in iad" -> "calico-ready-in-iad": a file name after the step. */
function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'output'
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
