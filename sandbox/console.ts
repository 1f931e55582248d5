// `npm run sandbox`: the whole sandbox on loopback and the bot, then a console that behaves like the channel.
//   npm run sandbox                                   interactive: type /mesh commands, watch the channel
//   npm run sandbox -- "/mesh help" "/mesh status"    run in order, print the transcript, exit 0 only if all succeeded
//   npm run sandbox -- "/mesh up --confirm demo"      build the mesh without asking (batch mode, scripts)
//   npm run sandbox -- "/mesh up" "click Apply"       show the plan, then press its Apply button
//   npm run sandbox -- --keep "/mesh up --confirm demo"   leave everything running afterwards
//   npm run sandbox -- --zones us-east-1=use1-az3,use1-az1,use1-az2,use1-az4,use1-az6,use1-az5 "/mesh up"
//                                                     an account whose AZ names map to these zone IDs (a, b, ...)
//   npm run sandbox -- --no-lb-controller ...       clusters without the AWS Load Balancer Controller: LoadBalancer
//                                                     Services get Classic ELBs from the in-tree cloud provider
//   click LABEL (a line or an argument)               presses the newest button with that label, e.g. click Retry
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { parseZoneMapping } from './aws/ec2-zones.ts';
import { ADMIN, CHANNEL, ROOT, type Sandbox, startSandbox } from './sandbox.ts';
import { messageText, watchChannel } from './slack/transcript.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    keep: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'fast' },
    'time-scale': { type: 'string' },
    spec: { type: 'string' },
    user: { type: 'string', default: ADMIN },
    timeout: { type: 'string', default: '1800' },
    zones: { type: 'string', multiple: true },
    'no-lb-controller': { type: 'boolean', default: false },
  },
});

const say = (msg: string) => process.stderr.write(`[sandbox] ${msg}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

if (flags.profile !== 'fast' && flags.profile !== 'real') {
  say(`--profile must be fast or real, not "${flags.profile}"`);
  process.exit(2);
}

let zones: ReturnType<typeof parseZoneMapping>;
try {
  zones = parseZoneMapping(flags.zones ?? []);
} catch (err) {
  say((err as Error).message);
  process.exit(2);
}

async function runLine(sb: Sandbox, line: string): Promise<boolean> {
  const l = line.trim();
  const timeoutMs = Number(flags.timeout) * 1000;
  if (l === 'confirm') {
    out(`\n> (presses the latest "Delete" button)`);
    return (await sb.clickConfirm({ user: flags.user, timeoutMs })).ok;
  }
  if (l === 'home') {
    out('\n> (opens the App Home)');
    const before = sb.slack.home(flags.user)?.publishes ?? 0;
    const res = await sb.slack.openHome({ userId: flags.user, to: sb.delivery });
    const view = await waitForHome(sb, flags.user, before);
    out(
      // As the Home tab reads: mentions and channels by name, &lt; as <.
      view ? messageText(sb.slack, { text: '', blocks: view.blocks }) : '(the App Home was not published)',
    );
    return res.acked && Boolean(view);
  }
  const click = /^click\s+(.+)$/i.exec(l);
  if (click) {
    out(`\n> (presses "${click[1]}")`);
    // Waits for what the click did: a job it started ends (Apply, Retry), or its message changes (Cancel).
    const outcome = await sb.click(click[1]!, { user: flags.user, timeoutMs });
    await new Promise((r) => setTimeout(r, 300));
    return outcome.ok;
  }
  const text = l.replace(/^\/mesh\b\s*/, '');
  out(`\n> /mesh ${text}`);
  const outcome = await sb.run(text, { user: flags.user, timeoutMs });
  // Let the watcher print the last replies before the next command.
  await new Promise((r) => setTimeout(r, 300));
  return outcome.ok;
}

async function waitForHome(sb: Sandbox, user: string, before: number): Promise<{ blocks: unknown[] } | undefined> {
  for (let i = 0; i < 50; i++) {
    const view = sb.slack.home(user);
    if (view && view.publishes > before) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  let sb: Sandbox;
  try {
    sb = await startSandbox({
      profile: flags.profile as 'fast' | 'real',
      timeScale: flags['time-scale'] ? Number(flags['time-scale']) : undefined,
      specPath: flags.spec ? (flags.spec.startsWith('/') ? flags.spec : `${process.cwd()}/${flags.spec}`) : undefined,
      redisUrl: process.env.REDIS_URL,
      zones,
      loadBalancerController: !flags['no-lb-controller'],
      warmCalicoSchemas: true,
      log: say,
    });
  } catch (err) {
    say(`could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  say(
    `kubectl: export KUBECONFIG=${sb.kubeconfigPath}   (contexts appear as clusters come up: ${sb.spec.clusters.map((c) => c.name).join(', ')})`,
  );
  say(
    `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; you are <@${flags.user}> in #mesh-ops; the bot's log is ${ROOT}.sandbox/bot.log\n`,
  );
  const stopWatching = watchChannel(sb.slack, CHANNEL, out, { viewer: flags.user, editEveryMs: 5000 });

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    stopWatching();
    say('stopping the sandbox');
    await sb.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));

  if (positionals.length > 0) {
    const results: Array<[string, boolean]> = [];
    for (const line of positionals) {
      const ok = await runLine(sb, line).catch((err: unknown) => {
        out(`(${err instanceof Error ? err.message : String(err)})`);
        return false;
      });
      results.push([line, ok]);
    }
    out('\n--- summary');
    for (const [line, ok] of results) out(`${ok ? 'ok    ' : 'FAILED'}  ${line}`);
    if (flags.keep) {
      say('--keep: everything stays up; Ctrl-C stops it');
      return;
    }
    await shutdown(results.every(([, ok]) => ok) ? 0 : 1);
    return;
  }

  out(
    'Type /mesh commands (/mesh help, /mesh up, /mesh status, ...); `click LABEL` presses a button (`click Apply` after /mesh up, `click Cancel job 3`, `click Retry`); `home` shows the App Home; `confirm` presses the latest /mesh down button; `exit` quits.',
  );
  const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: 'mesh-ops> ' });
  rl.prompt();
  for await (const line of rl) {
    const l = line.trim();
    if (l === 'exit' || l === 'quit') break;
    if (l) await runLine(sb, l).catch((err: unknown) => out(`(${err instanceof Error ? err.message : String(err)})`));
    rl.prompt();
  }
  await shutdown(0);
}

await main();
