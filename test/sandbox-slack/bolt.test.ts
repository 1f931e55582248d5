// Slash commands and button clicks from the sender reach a real Bolt app (HTTP and Socket Mode), and its
// replies come back to the stand-in: Bolt's own signature check and Socket Mode client are the judges.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postSigned, sendSlashCommand, signSlackRequest, slashCommandFields } from '../../sandbox/slack/sender.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';

const SECRET = 'sandbox-signing-secret';
const CHANNEL = 'C0MESHOPS';
const ALICE = 'U0ALICE01';

let slack: SlackStandIn;
let app: App;
let eventsUrl: string;
const seenCommands: string[] = [];

/** A minimal bot: /mesh acks with an ephemeral line and posts a message with a button; the button replaces it. */
function registerListeners(a: App): void {
  a.command('/mesh', async ({ command, ack, client }) => {
    seenCommands.push(`${command.user_id}:${command.text}`);
    await ack({ text: `Got it: ${command.text}` });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `Plan for ${command.text}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `Plan for *${command.text}*` } },
        {
          type: 'actions',
          block_id: 'confirm',
          elements: [
            { type: 'button', action_id: 'approve', value: 'plan-1', text: { type: 'plain_text', text: 'Approve' } },
          ],
        },
      ],
    });
  });
  a.action('approve', async ({ ack, respond, body }) => {
    await ack();
    const value = body.type === 'block_actions' && body.actions[0].type === 'button' ? body.actions[0].value : '?';
    await respond({ replace_original: true, text: `Approved ${value} by <@${body.user.id}>` });
  });
}

describe('sender + Bolt HTTP receiver', () => {
  beforeEach(async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    app = new App({
      token: slack.botToken,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    registerListeners(app);
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    seenCommands.length = 0;
  });
  afterEach(async () => {
    await app.stop();
    await slack.close();
  });

  it('signs a slash command that Bolt accepts; the ack shows as an ephemeral reply and the bot posts', async () => {
    const r = await slack.slashCommand({
      to: { http: { url: eventsUrl, signingSecret: SECRET } },
      text: 'up demo',
      userId: ALICE,
      channelId: CHANNEL,
    });
    expect(r).toMatchObject({ acked: true, status: 200 });
    expect(seenCommands).toEqual([`${ALICE}:up demo`]);
    expect(slack.ephemeral(CHANNEL, ALICE).map((m) => m.text)).toEqual(['Got it: up demo']);
    const plan = await slack.waitFor((m) => m.text === 'Plan for up demo', 2000);
    expect(plan.channel).toBe(CHANNEL);
  });

  it('a tampered body or a stale timestamp gets 401 from Bolt', async () => {
    const body = new URLSearchParams(
      slashCommandFields({ text: 'down demo', userId: ALICE, channelId: CHANNEL }),
    ).toString();
    const headers = signSlackRequest(SECRET, body);
    const tampered = await fetch(eventsUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: body.replace('down', 'up'),
    });
    expect(tampered.status).toBe(401);
    const stale = await postSigned(eventsUrl, SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60);
    expect(stale.status).toBe(401);
    const wrongSecret = await sendSlashCommand({
      url: eventsUrl,
      signingSecret: 'not-the-secret',
      text: 'x',
      userId: ALICE,
      channelId: CHANNEL,
    });
    expect(wrongSecret.status).toBe(401);
    expect(seenCommands).toEqual([]);
  });

  it('a button click reaches the action listener, whose respond() replaces the message', async () => {
    await slack.slashCommand({
      to: { http: { url: eventsUrl, signingSecret: SECRET } },
      text: 'up demo',
      userId: ALICE,
      channelId: CHANNEL,
    });
    const plan = await slack.waitFor((m) => m.text === 'Plan for up demo', 2000);
    const click = await slack.clickButton({
      to: { http: { url: eventsUrl, signingSecret: SECRET } },
      userId: ALICE,
      channelId: CHANNEL,
      messageTs: plan.ts,
      actionId: 'approve',
    });
    expect(click).toMatchObject({ acked: true, status: 200 });
    const replaced = await slack.waitFor((m) => m.ts === plan.ts && m.text.startsWith('Approved'), 2000);
    expect(replaced).toMatchObject({ text: `Approved plan-1 by <@${ALICE}>`, edits: 1 });
  });

  it('shows the user a dispatch failure when the app answers with an error status', async () => {
    const r = await slack.slashCommand({
      to: { http: { url: `${eventsUrl}-nowhere`, signingSecret: SECRET } },
      text: 'status',
      userId: ALICE,
      channelId: CHANNEL,
    });
    expect(r.acked).toBe(false);
    expect(slack.ephemeral(CHANNEL, ALICE).map((m) => m.text)).toEqual([
      '/mesh failed with the error "dispatch_failed"',
    ]);
  });
});

describe('Socket Mode', () => {
  beforeEach(async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    app = new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    registerListeners(app);
    await app.start();
    await slack.socket.waitForConnection(5000);
    seenCommands.length = 0;
  });
  afterEach(async () => {
    await app.stop();
    await slack.close();
  });

  it("delivers a slash command in an envelope and records the app's ack payload as the ephemeral reply", async () => {
    const r = await slack.slashCommand({ to: 'socket', text: 'up demo', userId: ALICE, channelId: CHANNEL });
    expect(r.acked).toBe(true);
    expect(seenCommands).toEqual([`${ALICE}:up demo`]);
    expect(slack.ephemeral(CHANNEL, ALICE).map((m) => m.text)).toEqual(['Got it: up demo']);
    await slack.waitFor((m) => m.text === 'Plan for up demo', 2000);
  });

  it('delivers a button click as an interactive envelope', async () => {
    await slack.slashCommand({ to: 'socket', text: 'up demo', userId: ALICE, channelId: CHANNEL });
    const plan = await slack.waitFor((m) => m.text === 'Plan for up demo', 2000);
    const click = await slack.clickButton({
      to: 'socket',
      userId: ALICE,
      channelId: CHANNEL,
      messageTs: plan.ts,
      actionId: 'approve',
    });
    expect(click.acked).toBe(true);
    await slack.waitFor((m) => m.ts === plan.ts && m.text === `Approved plan-1 by <@${ALICE}>`, 2000);
  });

  it('refuses apps.connections.open with the bot token', async () => {
    const res = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${slack.botToken}` },
    });
    expect(await res.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
  });
});

describe('Socket Mode reconnect', () => {
  afterEach(async () => {
    await app.stop();
    await slack.close();
  });

  it('the app reconnects when Slack asks it to (disconnect: refresh_requested) and keeps receiving commands', async () => {
    slack = await startSlackStandIn({ rateLimits: false });
    // A short client ping timeout: the Socket Mode client waits that long before it reconnects.
    const receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      clientPingTimeout: 300,
      logLevel: LogLevel.ERROR,
      installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
    });
    app = new App({
      token: slack.botToken,
      receiver,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    registerListeners(app);
    await app.start();
    await slack.socket.waitForConnection(5000);
    seenCommands.length = 0;
    const reconnected = slack.socket.nextConnection(5000);
    slack.socket.sendDisconnect('refresh_requested');
    await reconnected;
    expect(slack.stats()['apps.connections.open'].ok).toBe(2);
    const r = await slack.slashCommand({ to: 'socket', text: 'status', userId: ALICE, channelId: CHANNEL });
    expect(r.acked).toBe(true);
    expect(seenCommands).toEqual([`${ALICE}:status`]);
  });
});
