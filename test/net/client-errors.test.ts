import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../helpers/raw-http.js';
import { parseSamples } from '../metrics/prom.js';
import { counted, DEV, snapshot, startTestSim, type TestSim } from '../helpers/sim.js';

const AUTH = `Authorization: Bearer ${DEV}\r\n`;
const JSON_TYPE = 'Content-Type: application/json\r\n';

/** The malformed request classes of issue 13: raw bytes, the status, and what the message says. */
const CASES: Array<{ name: string; bytes: string; status: number; reason: string; says: RegExp; counted?: boolean }> = [
  {
    name: 'CR inside a header value',
    bytes: `GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n${AUTH}X-A: a\rb\r\n\r\n`,
    status: 400,
    reason: 'HPE_LF_EXPECTED',
    says: /Malformed HTTP request: .*LF/,
  },
  {
    name: 'LF inside a header value',
    bytes: `GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n${AUTH}X-A: a\nb\r\n\r\n`,
    status: 400,
    reason: 'HPE_CR_EXPECTED',
    says: /Malformed HTTP request: .*CR/,
  },
  {
    name: 'NUL inside a header value',
    bytes: `GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n${AUTH}X-A: a\0b\r\n\r\n`,
    status: 400,
    reason: 'HPE_INVALID_HEADER_TOKEN',
    says: /Invalid header value char/,
  },
  {
    name: 'Content-Length with Transfer-Encoding',
    bytes: `POST /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n${AUTH}${JSON_TYPE}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
    reason: 'HPE_INVALID_TRANSFER_ENCODING',
    says: /Transfer-Encoding can't be present with Content-Length/,
  },
  {
    name: 'two Content-Lengths',
    bytes: `POST /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n${AUTH}${JSON_TYPE}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`,
    status: 400,
    reason: 'HPE_UNEXPECTED_CONTENT_LENGTH',
    says: /Duplicate Content-Length/,
  },
  {
    // The body runs on past the declared length; the rest reads as a request line that is not one.
    name: 'a short Content-Length',
    bytes: `POST /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n${AUTH}${JSON_TYPE}Content-Length: 2\r\n\r\n{}{"model":"imagen4","prompt":"ramen noodles"}\r\n\r\n`,
    status: 400,
    reason: 'HPE_INVALID_METHOD',
    says: /Malformed HTTP request: Invalid method/,
    // The first 2 bytes are a whole request ('{}', answered 400 on its own), counted as one.
    counted: true,
  },
  {
    name: 'headers over 16 KiB',
    bytes: `GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n${AUTH}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    status: 431,
    reason: 'HPE_HEADER_OVERFLOW',
    says: /larger than 16 KiB/,
  },
  {
    name: 'CONNECT',
    bytes: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    status: 400,
    reason: 'CONNECT',
    says: /CONNECT example\.com:443 is not supported/,
  },
];

describe('malformed requests, over a raw socket', () => {
  let sim: TestSim;
  let port: number;
  beforeAll(async () => {
    sim = await startTestSim();
    port = Number(new URL(sim.url).port);
  });
  afterAll(() => sim.close());

  for (const c of CASES) {
    it(`${c.name}: ${c.status} with the JSON error body, the connection closed, nothing changed`, async () => {
      const before = await snapshot(sim);
      const answer = await rawExchange(port, c.bytes);
      expect(answer.statusLine, answer.raw.slice(0, 300)).toMatch(new RegExp(`^HTTP/1\\.1 ${c.status} \\S`));
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.headers.connection).toBe('close');
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
      const body = JSON.parse(answer.body) as { error: { code: number; message: string; type: string } };
      expect(body).toEqual({
        error: { code: c.status, message: expect.stringMatching(c.says), type: 'invalid_request_error' },
      });
      expect(answer.closed).toBe(true);
      // A request that reached the gateway before the bytes went bad counted once in the key's window.
      expect(await snapshot(sim)).toEqual(c.counted ? counted(before) : before);
    });
  }

  it('each is counted in /_sim/metrics by reason and status', async () => {
    await sim.admin_('POST', '/reset');
    for (const c of CASES) await rawExchange(port, c.bytes);
    await rawExchange(port, CASES[0]!.bytes);
    const text = (await sim.call<Buffer>('GET', '/_sim/metrics', { key: null })).body;
    const samples = parseSamples(text.toString('utf8')).filter((s) => s.name === 'gwsim_malformed_requests_total');
    const counts = Object.fromEntries(samples.map((s) => [`${s.labels.reason} ${s.labels.status}`, s.value]));
    expect(counts).toEqual(Object.fromEntries(CASES.map((c) => [`${c.reason} ${c.status}`, c === CASES[0] ? 2 : 1])));
  });

  it('a well-formed request on the same server is unaffected', async () => {
    const answer = await rawExchange(
      port,
      `GET /api/v1/credits HTTP/1.1\r\nHost: x\r\n${AUTH}Connection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
  });
});
