// The layers of meshops, checked by `npm run deps` (and in .ci/run). CONTRIBUTING.md explains them:
//   src/       the lower layer: config, Slack, queue, AWS and Kubernetes access, steps, runner
//   commands/  parsers, checks and help of /mesh (uses src/)
//   jobs/      what the worker runs (uses src/)
//   sandbox/, bench/, test/  around the product, never inside it
// src/compose-root.ts is the one module of src/ that imports commands/ and jobs/: it wires the program together.

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
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^node_modules/' },
  },
};
