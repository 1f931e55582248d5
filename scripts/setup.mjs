// Makes a fresh machine ready for the tests and the sandbox: checks the Node runtime the npm scripts use,
// installs redis-server from Debian's packages when missing, and checks python3 can run moto.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { execFileSync, spawnSync } from 'node:child_process';

const problems = [];
const say = (msg) => process.stdout.write(`[setup] ${msg}\n`);

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  problems.push(
    `Node ${process.versions.node} runs the scripts, but meshops needs Node 24 LTS. Run \`npm install\` first: it installs Node 24 (the "node" devDependency) and npm scripts then use it.`,
  );
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (!has('redis-server')) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (has('apt-get')) {
    say("redis-server is missing: installing Debian's redis-server package");
    const sudo = root ? [] : ['sudo'];
    const run = (args) =>
      execFileSync(sudo.length ? 'sudo' : args[0], sudo.length ? args : args.slice(1), {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    try {
      run(['apt-get', 'update', '-qq']);
      run(['apt-get', 'install', '-y', '-qq', 'redis-server']);
    } catch {
      problems.push(
        'Could not install redis-server with apt-get. Install it (Debian/Ubuntu: `apt-get install redis-server`) and run again.',
      );
    }
  } else {
    problems.push(
      'redis-server is not installed and apt-get is not available. Install Redis 7 so that `redis-server` is on PATH.',
    );
  }
}

const moto = spawnSync('python3', ['-c', 'import moto, flask; print(moto.__version__)'], { encoding: 'utf8' });
if (moto.status !== 0) {
  problems.push(
    "python3 cannot import moto (the AWS stand-in). Install it with `python3 -m pip install 'moto[server]'`.",
  );
}

if (!has('kubectl')) {
  say('note: kubectl is not installed; the sandbox works without it, and the kubectl compatibility tests need it.');
}

if (problems.length) {
  for (const p of problems) process.stderr.write(`[setup] ${p}\n`);
  process.exit(1);
}
