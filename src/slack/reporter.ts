// Live progress of one job in Slack: the anchor message (step n of N, elapsed, a bar, what is happening now),
// edited at most about once a second however fast steps finish, and one thread reply per finished step.
// Slack's 429s are honoured by the WebClient itself (it waits Retry-After and tries again).
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { formatDuration } from '../steps/wait.ts';
import { codeBlock, context, INLINE_EXCERPT_LIMIT, progressBar, safeText, section } from './format.ts';

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
}

const ICON: Record<JobState, string> = {
  queued: ':hourglass_flowing_sand:',
  waiting: ':hourglass_flowing_sand:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

export class ProgressReporter {
  private readonly opts: ReporterOptions;
  private readonly minEditIntervalMs: number;
  private anchorTs?: string;
  private state: JobState = 'running';
  private total = 0;
  private done = 0;
  private now = '';
  private headline = '';
  private body: string[] = [];
  private readonly startedAt: number;
  private lastEditAt = 0;
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

  /** Posts the anchor message when the job has none yet (a job queued without Slack, or a lost anchor). */
  async ensureAnchor(): Promise<string> {
    if (this.anchorTs) return this.anchorTs;
    const res = await this.opts.client.chat.postMessage({ channel: this.opts.channel, ...this.render() });
    this.anchorTs = res.ts as string;
    return this.anchorTs;
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

  stepFinished(title: string, summary: string, ms: number, excerpt?: string): void {
    this.done += 1;
    this.scheduleEdit();
    this.reply(`:white_check_mark: *${title}* (${formatDuration(ms)}): ${summary}`, excerpt);
  }

  stepFailed(title: string, cause: string, ms: number): void {
    this.scheduleEdit();
    this.reply(`:x: *${title}* failed after ${formatDuration(ms)}: ${cause}`);
  }

  /** A thread reply; an excerpt too long for a message goes up as a file in the thread. */
  reply(text: string, excerpt?: string, filename = 'output.txt'): Promise<void> {
    this.threadChain = this.threadChain.then(async () => {
      try {
        const threadTs = await this.ensureAnchor();
        const safeExcerpt = excerpt ? safeText(excerpt) : undefined;
        if (safeExcerpt && safeExcerpt.length > INLINE_EXCERPT_LIMIT) {
          await this.opts.client.chat.postMessage({ channel: this.opts.channel, thread_ts: threadTs, text: safeText(text), blocks: [section(text), context('full output attached as a file')] });
          await this.opts.client.files.uploadV2({
            channel_id: this.opts.channel,
            thread_ts: threadTs,
            content: safeExcerpt,
            filename,
            title: filename,
          });
          return;
        }
        const blocks = [section(text)];
        if (safeExcerpt) blocks.push(section(codeBlock(safeExcerpt)));
        await this.opts.client.chat.postMessage({ channel: this.opts.channel, thread_ts: threadTs, text: safeText(text), blocks });
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
        await this.opts.client.files.uploadV2({ channel_id: this.opts.channel, thread_ts: threadTs, file, filename, title: filename, ...extra });
      } catch (err) {
        this.opts.log.warn({ err }, 'could not upload a file to the thread');
      }
    });
    return this.threadChain;
  }

  /** Final state of the anchor; waits until every pending reply and edit has gone out. */
  async finish(state: JobState, headline: string, body: string[] = []): Promise<void> {
    this.state = state;
    this.headline = headline;
    this.body = body;
    this.now = '';
    await this.threadChain;
    await this.editNow();
  }

  async setState(state: JobState, headline: string): Promise<void> {
    this.state = state;
    this.headline = headline;
    await this.editNow();
  }

  async flush(): Promise<void> {
    await this.threadChain;
    if (this.editTimer) await this.editNow();
    await this.editChain;
  }

  render(): { text: string; blocks: object[] } {
    const { title, jobId, userId } = this.opts;
    const elapsed = formatDuration(this.opts.clock.now() - this.startedAt);
    const head = `${ICON[this.state]} *${title}* · job ${jobId} · asked by <@${userId}>`;
    const lines = [head];
    if (this.headline) lines.push(this.headline);
    if (this.total > 0) lines.push(`Step ${Math.min(this.done + (this.state === 'running' ? 1 : 0), this.total)} of ${this.total} · ${elapsed} elapsed\n\`${progressBar(this.done, this.total)}\``);
    if (this.now && this.state === 'running') lines.push(`Now: ${this.now}`);
    const text = lines.join('\n');
    // Slack allows 50 blocks a message; a status of many clusters keeps well below.
    const blocks = [section(text), ...this.body.slice(0, 45).map((b) => section(b))];
    return { text: safeText(text), blocks };
  }

  private scheduleEdit(): void {
    if (this.editTimer) return;
    const wait = Math.max(0, this.lastEditAt + this.minEditIntervalMs - this.opts.clock.now());
    this.editTimer = setTimeout(() => void this.editNow(), wait);
  }

  private editNow(): Promise<void> {
    if (this.editTimer) {
      clearTimeout(this.editTimer);
      this.editTimer = undefined;
    }
    this.editChain = this.editChain.then(async () => {
      this.lastEditAt = this.opts.clock.now();
      try {
        if (!this.anchorTs) {
          await this.ensureAnchor();
          return;
        }
        this.edits += 1;
        await this.opts.client.chat.update({ channel: this.opts.channel, ts: this.anchorTs, ...this.render() });
      } catch (err) {
        this.opts.log.warn({ err }, 'could not update the progress message');
      }
    });
    return this.editChain;
  }
}
