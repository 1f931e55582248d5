// What Slack does with mrkdwn a person reads: <...> is markup (a mention, a broadcast or a link), &lt; &gt; &amp;
// are the characters themselves; and who a message notifies (new messages only, never an edit).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageText } from '../../sandbox/slack/transcript.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { webClient } from './clients.ts';

const CHANNEL = 'C0MESHOPS';
let slack: SlackStandIn;
let web: ReturnType<typeof webClient>;

beforeEach(async () => {
  slack = await startSlackStandIn({ rateLimits: false });
  web = webClient(slack);
});
afterEach(async () => {
  await slack.close();
});

const shown = (text: string) => messageText(slack, { text });

describe('mrkdwn as the console shows it', () => {
  it('turns unescaped <...> into markup: a kubectl "<none>" becomes a link and loses its brackets', () => {
    expect(shown('EXTERNAL-IP   <none>')).toBe('EXTERNAL-IP   none');
    expect(shown('see <https://example.com|the docs>')).toBe('see the docs (https://example.com)');
    expect(shown('<!here> look')).toBe('@here look');
    expect(shown('by <@U0ALICE01> in <#C0MESHOPS>')).toBe('by @alice in #mesh-ops');
  });

  it('shows &lt; &gt; &amp; as the characters themselves', () => {
    expect(shown('EXTERNAL-IP   &lt;none&gt; a &amp;&amp; b')).toBe('EXTERNAL-IP   <none> a && b');
    expect(shown('&lt;!here&gt;')).toBe('<!here>');
  });
});

describe('who is notified', () => {
  it('a mention in a new message notifies that person; <!here> notifies the channel', async () => {
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'job 3' });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts!, text: 'done, <@U0ALICE01>' });
    await web.chat.postMessage({
      channel: CHANNEL,
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '<!here> output' } }],
    });
    expect(slack.notifications(CHANNEL).map((n) => n.to)).toEqual(['U0ALICE01', '@here']);
    expect(slack.notifications(CHANNEL)[0]!.threadTs).toBe(root.ts);
  });

  it('an edit that adds a mention notifies nobody, and escaped text is no mention', async () => {
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'job 4 running' });
    await web.chat.update({ channel: CHANNEL, ts: root.ts!, text: 'job 4 done, <@U0ALICE01>' });
    await web.chat.postMessage({ channel: CHANNEL, text: 'captured: &lt;!channel&gt; &lt;@U0BOB0001&gt;' });
    expect(slack.notifications(CHANNEL)).toEqual([]);
  });

  it('an ephemeral message notifies nobody else', async () => {
    await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE01', text: '<!channel> only you see this' });
    expect(slack.notifications(CHANNEL)).toEqual([]);
  });
});
