/**
 * HTTP between the coordinator and the participants: each participant serves its routes
 * (`POST /v1/federated/<route>`, a bearer token required, TLS when given a key and
 * certificate); the coordinator calls them with a timeout, optionally over TLS pinned to
 * the participant's certificate fingerprint. Every request is checked against its schema
 * before the participant sees it; every reply against its schema before the coordinator does.
 */
import { Agent as HttpAgent, createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { z } from 'zod';
import { ERROR_CODES, NextbestError, ValidationError, type ErrorCode } from '../core/errors.js';
import type { ParticipantLink } from './coordinator.js';
import type { Participant } from './participant.js';
import { ROUTES, type ReplyOf, type RequestOf, type Route } from './protocol.js';

const PREFIX = '/v1/federated/';
/** Largest request body a participant reads (a final model of a few hundred trees fits). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Checks a request against its route's schema and runs it on the participant. */
export async function dispatch<R extends Route>(participant: Participant, route: R, body: unknown): Promise<ReplyOf<R>> {
  const parsed = ROUTES[route].request.safeParse(body);
  if (!parsed.success) throw zodIssues(parsed.error, 'body');
  const handler = participant[route].bind(participant) as (r: RequestOf<R>) => ReplyOf<R> | Promise<ReplyOf<R>>;
  return handler(parsed.data as RequestOf<R>);
}

function zodIssues(e: z.ZodError, root: string): ValidationError {
  return new ValidationError(e.issues.map((i) => ({ field: [root, ...i.path.map(String)].join('.'), rule: i.code, message: i.message })));
}

/** Where and how a participant listens. */
export interface ServeOptions {
  host?: string;
  port?: number;
  /** Bearer token the coordinator must send (required: a participant never answers strangers). */
  token: string;
  /** PEM key and certificate: serve HTTPS. */
  tls?: { key: string; cert: string };
  /** Called for every request (route, status): the CLI's log line. */
  onRequest?: (route: string, status: number) => void;
}

/** A running participant server. */
export interface ParticipantServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves a participant over HTTP(S). */
export async function serveParticipant(participant: Participant, o: ServeOptions): Promise<ParticipantServer> {
  if (!o.token || o.token.length < 16) throw new ValidationError([{ field: 'token', rule: 'min_length', message: 'a participant needs a bearer token of at least 16 characters' }]);
  const expected = Buffer.from(`Bearer ${o.token}`);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void respond(participant, req, res, expected).then((status) => o.onRequest?.(req.url ?? '', status));
  };
  const server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${addr.port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function respond(participant: Participant, req: IncomingMessage, res: ServerResponse, expected: Buffer): Promise<number> {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return status;
  };
  const fail = (code: ErrorCode, message: string, details?: unknown) => send(ERROR_CODES[code].status, { error: { code, message, ...(details ? { details } : {}) } });
  try {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      req.resume();
      return fail('UNAUTHORIZED', 'a bearer token is required');
    }
    const route = (req.url ?? '').startsWith(PREFIX) ? (req.url ?? '').slice(PREFIX.length) : '';
    if (req.method !== 'POST' || !(route in ROUTES)) {
      req.resume();
      return fail('NOT_FOUND', `no route ${req.method} ${req.url}`);
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      req.resume();
      return fail('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY_BYTES) return fail('PAYLOAD_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`);
      chunks.push(c);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      return fail('MALFORMED_JSON', (e as Error).message);
    }
    return send(200, await dispatch(participant, route as Route, body));
  } catch (e) {
    if (e instanceof NextbestError) return fail(e.code, e.message, e.details);
    return fail('INTERNAL', 'the participant failed on this request');
  }
}

/** How the coordinator reaches a participant over HTTP(S). */
export interface LinkOptions {
  name: string;
  url: string;
  token: string;
  /** Per request (default 60 s): a participant slower than this is dropped from the round. */
  timeoutMs?: number;
  /** PEM CA certificate(s) to trust for an https URL (e.g. the participant's self-signed certificate). */
  ca?: string;
  /** SHA-256 fingerprint of the participant's certificate (hex, colons optional): any other certificate is refused. */
  pin?: string;
}

/** A participant behind HTTP(S). */
export function httpLink(o: LinkOptions): ParticipantLink {
  const bytes = { sent: 0, received: 0 };
  const base = new URL(o.url);
  const tls = base.protocol === 'https:';
  const pin = o.pin?.replace(/:/g, '').toLowerCase();
  // Each link has its own connection pool: a socket verified for one link (its CA, its pin) is never reused by another.
  const agent = tls
    ? new HttpsAgent({
        keepAlive: true,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(pin ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => (fingerprint(cert) === pin ? undefined : new Error(`certificate of ${o.name} does not match the pinned fingerprint`)) } : {}),
      })
    : new HttpAgent({ keepAlive: true });
  return {
    name: o.name,
    bytes,
    call<R extends Route>(route: R, body: RequestOf<R>): Promise<ReplyOf<R>> {
      const text = JSON.stringify(body);
      const url = new URL(`${PREFIX}${route}`, base);
      return new Promise<ReplyOf<R>>((resolve, reject) => {
        const options = {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: `Bearer ${o.token}` },
          timeout: o.timeoutMs ?? 60_000,
          agent,
        };
        const req = (tls ? httpsRequest : httpRequest)(url, options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            bytes.received += raw.length;
            let json: unknown;
            try {
              json = JSON.parse(raw.toString('utf8'));
            } catch {
              return reject(new Error(`${o.name}: reply to ${route} is not JSON (HTTP ${res.statusCode})`));
            }
            if (res.statusCode !== 200) {
              const err = (json as { error?: { code?: string; message?: string } }).error;
              return reject(new Error(`${o.name}: ${route} failed with HTTP ${res.statusCode} ${err?.code ?? ''}: ${err?.message ?? ''}`));
            }
            const parsed = ROUTES[route].reply.safeParse(json);
            if (!parsed.success) return reject(zodIssues(parsed.error, `${o.name}.${route}`));
            resolve(parsed.data as ReplyOf<R>);
          });
        });
        req.on('timeout', () => req.destroy(new Error(`${o.name}: ${route} timed out after ${o.timeoutMs ?? 60_000} ms`)));
        req.on('error', (e) => reject(new Error(`${o.name}: ${route}: ${e.message}`)));
        bytes.sent += Buffer.byteLength(text);
        req.end(text);
      });
    },
  };
}

function fingerprint(cert: PeerCertificate): string {
  return cert.raw ? createHash('sha256').update(cert.raw).digest('hex') : '';
}
