// AWS's own error shapes, per protocol, so the SDK parses gateway errors exactly as it parses AWS's:
// EC2 query (XML <Response><Errors>), the other query services (IAM, STS: XML <ErrorResponse>), and
// REST-JSON EKS (x-amzn-ErrorType header + {"message"}).
import { randomUUID } from 'node:crypto';

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const XML = { 'content-type': 'text/xml;charset=UTF-8' };

export function ec2Error(status: number, code: string, message: string): HttpReply {
  const requestId = randomUUID();
  return {
    status,
    headers: { ...XML, 'x-amzn-requestid': requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code>` +
      `<Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
  };
}

export function queryError(
  service: string,
  status: number,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
): HttpReply {
  const requestId = randomUUID();
  const ns =
    service === 'sts' ? 'https://sts.amazonaws.com/doc/2011-06-15/' : 'https://iam.amazonaws.com/doc/2010-05-08/';
  return {
    status,
    headers: { ...XML, 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${esc(code)}</Code>\n` +
      `    <Message>${esc(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
  };
}

export function restJsonError(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): HttpReply {
  const requestId = randomUUID();
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': code,
      'x-amzn-requestid': requestId,
    },
    body: JSON.stringify({ message, ...extra }),
  };
}

export function json(status: number, value: unknown): HttpReply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(value),
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
