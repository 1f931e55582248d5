// One pino root logger; a child per job. Secrets never reach a log line: known secret fields are redacted by
// path, and every string that looks like a token is scrubbed (the same scrubber guards what goes to Slack).
import { type DestinationStream, type Logger, pino } from 'pino';

// Each pattern's first group, when it has one, is kept: it names what was redacted ("token: ", "X-Amz-Signature=").
// The URL pattern keeps its user and the "@" (third group) too.
const SECRET_PATTERNS: RegExp[] = [
  /k8s-aws-v1\.[A-Za-z0-9_-]+/g, // EKS bearer tokens
  /xox[abposr]-[A-Za-z0-9-]+/g, // Slack bot/user tokens
  /xapp-[A-Za-z0-9-]+/g, // Slack app-level tokens
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, // JWTs: service-account tokens
  /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"]+/g, // presigned URL parts
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, // AWS access key IDs: long-term (AKIA) and temporary (ASIA)
  /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|(?=["']|$))/g, // PEM keys, cut off too
  /((?:\\?["'])auth(?:\\?["'])\s*:\s*\\?["'])[^"'\\\s]+/g, // "auth" of a .dockerconfigjson (plain or in a JSON string)
  /(\.dockerconfigjson["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=]{16,}/g, // a pull secret's data, base64
  /([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)([^\s@/"']+)(@)/gi, // passwords in URLs (redis://user:pass@host)
  /((?:token|password|secret|client-key-data|kubeconfig)["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
];

/** Replaces anything that looks like a credential with [REDACTED]. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match: string, ...groups: unknown[]) => {
      const [prefix, , at] = groups;
      if (at === '@' && typeof prefix === 'string') return `${prefix}[REDACTED]@`;
      return typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[REDACTED]` : '[REDACTED]';
    });
  }
  return out;
}

export const REDACT_PATHS = [
  'token',
  '*.token',
  'kubeconfig',
  '*.kubeconfig',
  'headers.authorization',
  '*.headers.authorization',
  'botToken',
  'signingSecret',
  'appToken',
  '*.botToken',
  '*.signingSecret',
  '*.appToken',
  'data.kubeconfig',
  'data.token',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: { app: 'meshops' },
      hooks: {
        // Messages and error texts can carry tokens that no redact path names (an SDK error quoting a URL).
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      formatters: {
        // pino runs this before its serializers, and JSON.stringify writes an Error as {}: every Error, under any
        // key, is written here as pino's err serializer writes it (type, message and stack, with causes), then scrubbed.
        log(object) {
          const json = JSON.stringify(object, (_key, value: unknown) =>
            value instanceof Error ? pino.stdSerializers.err(value) : value,
          );
          return JSON.parse(scrubSecrets(json)) as Record<string, unknown>;
        },
      },
      // The formatter above has already written errors; pino's own err serializer would rewrite one as type Object.
      serializers: { err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value) },
    },
    opts.destination,
  );
}
