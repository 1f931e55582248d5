// Known answers for the sandbox's own SigV4 (sandbox/aws/sigv4.ts), from AWS's published Signature Version 4 test
// suite as kept in awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/<case>/ (header-signed-request.txt,
// query-signed-request.txt, context.json): credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
// region us-east-1, service "service", time 2015-08-30T12:36:00Z. Fixed inputs, fixed signatures: an error
// anywhere in the canonical request, the string to sign or the key derivation changes them.
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalRequest,
  credentialScope,
  EMPTY_PAYLOAD_SHA256,
  presignUrl,
  signature,
  signingKey,
  stringToSign,
  toAmzDate,
} from '../../../sandbox/aws/sigv4.ts';

const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
  amzDate: '20150830T123600Z',
};

function headerSignature(method: string, query: Array<[string, string]>): string {
  const canonical = canonicalRequest({
    method,
    path: '/',
    query,
    headers: { host: 'example.amazonaws.com', 'x-amz-date': SUITE.amzDate },
    signedHeaders: ['host', 'x-amz-date'],
    payloadHash: EMPTY_PAYLOAD_SHA256,
  });
  const key = signingKey(SUITE.secretAccessKey, '20150830', SUITE.region, SUITE.service);
  return signature(
    key,
    stringToSign(SUITE.amzDate, credentialScope('20150830', SUITE.region, SUITE.service), canonical),
  );
}

describe('SigV4 against AWS test-suite vectors (header authentication)', () => {
  it('get-vanilla', () => {
    expect(headerSignature('GET', [])).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('get-vanilla-query-order-key-case: parameters are sorted by name before signing', () => {
    const query: Array<[string, string]> = [
      ['Param2', 'value2'],
      ['Param1', 'value1'],
    ];
    expect(canonicalQuery(query)).toBe('Param1=value1&Param2=value2');
    expect(headerSignature('GET', query)).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });

  it('post-vanilla', () => {
    expect(headerSignature('POST', [])).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  });
});

describe('SigV4 against AWS test-suite vectors (presigned URLs, X-Amz-Expires=3600)', () => {
  it('get-vanilla-query-order-key-case (query-signed-request.txt)', () => {
    const url = new URL(
      presignUrl({
        ...SUITE,
        method: 'GET',
        url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
        expiresSeconds: 3600,
      }),
    );
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20150830/us-east-1/service/aws4_request');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      '86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5',
    );
  });

  it('get-vanilla-with-session-token: the token is part of the signed query', () => {
    const url = new URL(
      presignUrl({
        ...SUITE,
        method: 'GET',
        url: 'https://example.amazonaws.com/',
        expiresSeconds: 3600,
        sessionToken: '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
      }),
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      '7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c',
    );
  });

  it('formats X-Amz-Date as the spec does', () => {
    expect(toAmzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 999))).toBe('20150830T123600Z');
  });
});
