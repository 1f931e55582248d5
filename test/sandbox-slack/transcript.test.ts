// The console's view of a channel: what a person in Slack would read, as text.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderChannel, watchChannel } from '../../sandbox/slack/transcript.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { webClient } from './clients.ts';

const CHANNEL = 'C0MESHOPS';
let slack: SlackStandIn;
let web: ReturnType<typeof webClient>;

const timeless = (s: string) => s.replace(/\d\d:\d\d:\d\d/g, 'hh:mm:ss');

describe('transcript', () => {
  beforeEach(async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    web = webClient(slack);
  });
  afterEach(async () => {
    await slack.close();
  });

  it('renders messages, flattened blocks, an edited anchor, its thread, a file and an ephemeral reply', async () => {
    const anchor = await web.chat.postMessage({ channel: CHANNEL, text: 'mesh up demo: starting' });
    await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE01', text: 'Queued `up demo` for <@U0ALICE01>' });
    await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: anchor.ts!,
      text: 'plan',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Plan' } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '2 parallel sub-tasks' },
          fields: [
            { type: 'mrkdwn', text: '*iad* us-east-1' },
            { type: 'mrkdwn', text: '*pdx* us-west-2' },
          ],
        },
        { type: 'divider' },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'est. 20 min' }] },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Approve' } },
            { type: 'button', action_id: 'no', text: { type: 'plain_text', text: 'Cancel' } },
          ],
        },
      ],
    });
    await web.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: anchor.ts!,
      filename: 'typha.log',
      content: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].join('\n'),
    });
    await web.chat.update({ channel: CHANNEL, ts: anchor.ts!, text: 'mesh up demo: done' });

    expect(timeless(renderChannel(slack, CHANNEL, { fileLines: 3 }))).toBe(
      [
        '#mesh-ops',
        'hh:mm:ss  meshops [APP]  mesh up demo: done  (edited)',
        '    ↳ hh:mm:ss  meshops [APP]  == Plan ==',
        '                               2 parallel sub-tasks',
        '                               *iad* us-east-1  |  *pdx* us-west-2',
        '                               ────────────────',
        '                               est. 20 min',
        '                               [ Approve ] [ Cancel ]',
        '    ↳ hh:mm:ss  meshops [APP]  [file: typha.log, 13 bytes]',
        '                                 a',
        '                                 b',
        '                                 c',
        '                                 … (4 more lines)',
        'hh:mm:ss  meshops [APP]  Queued `up demo` for @alice  (only visible to alice)',
      ].join('\n'),
    );
    expect(renderChannel(slack, CHANNEL, { viewer: 'U0BOB0001' })).not.toContain('Queued');
    expect(renderChannel(slack, CHANNEL, { viewer: 'U0ALICE01' })).toContain('(only visible to you)');
  });

  it('prints new messages as they come and a fast-edited progress message at most once per window, ending with its latest text', async () => {
    const out: string[] = [];
    /** When each edit was printed: the window is a lower bound between two prints, whatever the load. */
    const printedAt: number[] = [];
    const write = (t: string) => {
      out.push(t);
      if (t.includes('✎')) printedAt.push(Date.now());
    };
    const stop = watchChannel(slack, CHANNEL, write, { editEveryMs: 300 });
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'progress 0/20' });
    for (let i = 1; i <= 20; i++) await web.chat.update({ channel: CHANNEL, ts: ts!, text: `progress ${i}/20` });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: ts!, text: 'step 1 done' });
    await slack.waitFor((m) => m.text === 'step 1 done', 1000);
    // The trailing print of the window shows the latest text: wait for it rather than for the window.
    await vi.waitFor(() => expect(out.filter((l) => l.includes('✎')).at(-1)).toContain('progress 20/20'), {
      timeout: 5_000,
      interval: 20,
    });
    stop();
    const edits = out.filter((l) => l.includes('✎'));
    expect(out[0]).toMatch(/progress 0\/20$/);
    expect(out.some((l) => l.includes('↳') && l.includes('step 1 done'))).toBe(true);
    // Coalesced: fewer prints than edits, never two within one window (timers fire late, never early).
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(edits.length).toBeLessThan(20);
    for (let i = 1; i < printedAt.length; i++) expect(printedAt[i]! - printedAt[i - 1]!).toBeGreaterThanOrEqual(295);
  });

  it('prints an edit that says the job finished or failed at once, whatever the window', async () => {
    const out: string[] = [];
    const stop = watchChannel(slack, CHANNEL, (t) => out.push(t), { editEveryMs: 60_000 });
    const { ts } = await web.chat.postMessage({ channel: CHANNEL, text: 'mesh up demo: 3/9 steps' });
    await web.chat.update({ channel: CHANNEL, ts: ts!, text: 'mesh up demo: 4/9 steps' });
    await web.chat.update({ channel: CHANNEL, ts: ts!, text: 'mesh up demo: failed at step 5' });
    const printedBeforeStop = out.filter((l) => l.includes('✎')).map((l) => l.replace(/^.*meshops \[APP\]\s+/, ''));
    stop();
    expect(printedBeforeStop).toEqual(['mesh up demo: failed at step 5  (edited)']);
  });
});
