// The layers of meshops, checked by `npm run deps` (and in .ci/run). CONTRIBUTING.md explains them:
//   src/       the lower layer: config, Slack, queue, AWS and Kubernetes access, steps, runner
//   commands/  parsers, checks and help of /mesh (uses src/)
//   jobs/      what the worker runs (uses src/)
//   sandbox/, bench/, test/  around the product, never inside it
// src/compose-root.ts is the one module of src/ that imports commands/ and jobs/: it wires the program together.

const path = require('node:path');

// Known violations that other work on issue 8 removes (items 1 and 3: the readers that jobs share move into the
// resource catalogue in src/). They are reported as "ignored", not as errors. Delete each line when its import is
// gone (the coordinator does at merge time); the rule then keeps it gone.
const KNOWN_CROSS_JOB_IMPORTS = [
  // AWS: down reuses up's IAM role names and status's observers.
  ['jobs/down/aws.ts', 'jobs/up/aws/iam.ts'],
  ['jobs/down/index.ts', 'jobs/status/aws.ts'],
  // Kubernetes: down, status, scale and ping read through up's kube helpers; up's verify uses ping's probe.
  ['jobs/down/kube.ts', 'jobs/up/kube/common.ts'],
  ['jobs/status/kube.ts', 'jobs/up/kube/calico-ready.ts'],
  ['jobs/status/kube.ts', 'jobs/up/kube/common.ts'],
  ['jobs/status/kube.ts', 'jobs/up/kube/mesh-pair.ts'],
  ['jobs/status/kube.ts', 'jobs/up/kube/mesh-sync.ts'],
  ['jobs/status/kube.ts', 'jobs/up/kube/workloads.ts'],
  ['jobs/scale.ts', 'jobs/up/kube/common.ts'],
  ['jobs/scale.ts', 'jobs/up/kube/workloads.ts'],
  ['jobs/ping.ts', 'jobs/up/kube/common.ts'],
  ['jobs/ping.ts', 'jobs/up/kube/workloads.ts'],
  ['jobs/ping/probe.ts', 'jobs/up/kube/workloads.ts'],
  ['jobs/ping/diagnose.ts', 'jobs/up/kube/calico-ready.ts'],
  ['jobs/ping/diagnose.ts', 'jobs/up/kube/common.ts'],
  ['jobs/ping/diagnose.ts', 'jobs/up/kube/mesh-pair.ts'],
  ['jobs/ping/diagnose.ts', 'jobs/up/kube/mesh-sync.ts'],
  ['jobs/ping/diagnose.ts', 'jobs/up/kube/workloads.ts'],
  ['jobs/up/kube/verify.ts', 'jobs/ping/diagnose.ts'],
  ['jobs/up/kube/verify.ts', 'jobs/ping/parse.ts'],
  ['jobs/up/kube/verify.ts', 'jobs/ping/probe.ts'],
  ['jobs/up/kube/verify.ts', 'jobs/ping/table.ts'],
];

function relativeImport(from, to) {
  const rel = path.posix.relative(path.posix.dirname(from), to);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'src-is-the-lower-layer',
      comment:
        'src/ imports nothing from commands/, jobs/, sandbox/, bench/ or test/; only src/compose-root.ts wires ' +
        'commands/ and jobs/ in. Pass what src/ needs from above as a parameter (see CommandLayer in src/slack/app.ts).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/compose-root\\.ts$' },
      to: { path: '^(commands|jobs|sandbox|bench|test)/' },
    },
    {
      name: 'root-wires-only-the-product',
      comment: 'The composition root wires commands/ and jobs/, never the sandbox, benchmarks or tests.',
      severity: 'error',
      from: { path: '^src/compose-root\\.ts$' },
      to: { path: '^(sandbox|bench|test)/' },
    },
    {
      name: 'product-stays-out-of-the-sandbox',
      comment:
        'The product (src/, commands/, jobs/) runs against real AWS, clusters and Slack: it imports nothing ' +
        'from sandbox/, bench/ or test/.',
      severity: 'error',
      from: { path: '^(src|commands|jobs)/' },
      to: { path: '^(sandbox|bench|test)/' },
    },
    {
      name: 'commands-and-jobs-are-siblings',
      comment: 'commands/ and jobs/ meet only through src/ (the command and job types travel through Redis).',
      severity: 'error',
      from: { path: '^(commands|jobs)/' },
      to: { path: '^(commands|jobs)/', pathNot: '^$1/' },
    },
    {
      name: 'no-job-imports-another-job',
      comment:
        'A job folder (jobs/<name>/, with jobs/<name>.ts and jobs/<name>-job.ts) uses only src/, itself and ' +
        'jobs/run-plan.ts. What two jobs share belongs in src/. jobs/index.ts is the table of all jobs.',
      severity: 'error',
      from: { path: '^jobs/([a-z]+)(?:-job)?(?:/|\\.ts$)', pathNot: '^jobs/index\\.ts$' },
      to: {
        path: '^jobs/',
        pathNot: ['^jobs/$1(?:-job)?(?:/|\\.ts$)', '^jobs/run-plan\\.ts$'],
      },
    },
    {
      name: 'unit-tests-start-nothing',
      comment:
        'test/unit/ runs with no Redis, moto or sandbox (npm run test:unit, files in parallel): it may not ' +
        'import what starts them. Such a test belongs elsewhere under test/ (the integration project).',
      severity: 'error',
      from: { path: '^test/unit/' },
      to: {
        path: [
          '^test/helpers/(redis|bot)\\.ts$',
          '^sandbox/(sandbox|cloud)\\.ts$',
          '^sandbox/aws/moto\\.ts$',
          '^sandbox/slack/web-api\\.ts$',
          '^node_modules/(ioredis|bullmq)/',
        ],
      },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle makes the load order decide what a module sees.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    ignoreKnown: true,
    knownViolations: KNOWN_CROSS_JOB_IMPORTS.map(([from, to]) => ({
      type: 'dependency',
      from,
      to,
      // The import as written: dependency-cruiser compares it to tell a known violation that is gone (stale).
      unresolvedTo: relativeImport(from, to),
      dependencyTypes: ['local', 'import'],
      rule: { severity: 'error', name: 'no-job-imports-another-job' },
    })),
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^node_modules/' },
  },
};
