/**
 * The messages between the coordinator and a participant, one zod schema each: the
 * participant checks every request against them (a bad one is a VALIDATION_FAILED naming
 * the field, never a crash), and the coordinator checks every reply. A reply carries
 * metadata, quantile summaries, a public key, masked words or test metrics — there is no
 * field a row or an unmasked histogram could travel in.
 */
import { z } from 'zod';

/** Bumped when a message changes shape; both sides refuse another version. */
export const PROTOCOL_VERSION = 1;

/** A participant's name: in configs, messages and mask contexts alike. */
export const ParticipantName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ or -, starting with a letter');
const session = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8-64 URL-safe characters');
const publicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url X25519 public key');

/** The tree parameters every participant must agree on (they shape the histograms it builds). */
export const TrainSettings = z.strictObject({
  objective: z.literal('binary:logistic'),
  maxBin: z.number().int().min(2).max(4096),
});

export const HelloRequest = z.strictObject({ session, protocol: z.literal(PROTOCOL_VERSION) });
export const HelloReply = z.strictObject({
  participant: ParticipantName,
  protocol: z.literal(PROTOCOL_VERSION),
  features: z.array(z.string().min(1)).min(1),
  label: z.string().min(1),
  rows: z.number().int().min(0),
  testRows: z.number().int().min(0),
});

export const SketchRequest = z.strictObject({ session, maxBin: z.number().int().min(2).max(4096) });
const Summary = z.strictObject({ count: z.number().int().min(0), value: z.array(z.number()), rmin: z.array(z.number()), rmax: z.array(z.number()), wmin: z.array(z.number()) });
export const SketchReply = z.strictObject({ summaries: z.array(Summary) });

export const SetupRequest = z.strictObject({
  session,
  settings: TrainSettings,
  cuts: z.array(z.array(z.number()).min(1)).min(1),
  /** σ of the noise share this participant adds to each cell before masking (0: no DP). */
  noiseShare: z.number().min(0),
  /** How many participants a masked vector must be summed with, the sender included. */
  minParticipants: z.number().int().min(2),
});
export const Ack = z.strictObject({ ok: z.literal(true) });

export const KeysRequest = z.strictObject({ session, round: z.number().int().min(-1), attempt: z.number().int().min(0) });
/** `signature`: the round key signed with the participant's long-term Ed25519 identity, when it has one (see masks.ts). */
export const KeysReply = z.strictObject({ publicKey, signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'a base64url Ed25519 signature').optional() });

const AppliedSplit = z.strictObject({
  node: z.number().int().min(0),
  feature: z.number().int().min(0),
  bin: z.number().int().min(-1),
  defaultLeft: z.boolean(),
  left: z.number().int().min(1),
  right: z.number().int().min(1),
});

export const AggregateRequest = z.strictObject({
  session,
  round: z.number().int().min(-1),
  attempt: z.number().int().min(0),
  step: z.number().int().min(0),
  peers: z.record(ParticipantName, publicKey),
  /** Each peer's signature of its round key (relayed as received); participants with pinned identities check them. */
  signatures: z.record(ParticipantName, z.string()).default({}),
  /** `stats`: [Σ label, rows]; `histograms`: per node [g, h interleaved per bin, then rows per bin]. */
  kind: z.enum(['stats', 'histograms']),
  splits: z.array(AppliedSplit),
  nodes: z.array(z.number().int().min(0)),
  /** Noise share for this release (0 for none): the coordinator scales it to the participants left. */
  noiseShare: z.number().min(0),
});
export const AggregateReply = z.strictObject({ masked: z.string(), words: z.number().int().min(0) });

export const BeginRequest = z.strictObject({ session, baseMargin: z.number() });

export const TreeRequest = z.strictObject({
  session,
  round: z.number().int().min(0),
  splits: z.array(AppliedSplit),
  value: z.array(z.number()),
});

export const FinishRequest = z.strictObject({ session, model: z.record(z.string(), z.unknown()), card: z.record(z.string(), z.unknown()) });
export const FinishReply = z.strictObject({
  testRows: z.number().int().min(0),
  testPositives: z.number().int().min(0),
  testAuc: z.number().nullable(),
  registered: z.string().nullable(),
});

export const AbortRequest = z.strictObject({ session, reason: z.string().max(500) });

/** The participant's routes: path → request and reply schema. */
export const ROUTES = {
  hello: { request: HelloRequest, reply: HelloReply },
  sketch: { request: SketchRequest, reply: SketchReply },
  setup: { request: SetupRequest, reply: Ack },
  keys: { request: KeysRequest, reply: KeysReply },
  aggregate: { request: AggregateRequest, reply: AggregateReply },
  begin: { request: BeginRequest, reply: Ack },
  tree: { request: TreeRequest, reply: Ack },
  finish: { request: FinishRequest, reply: FinishReply },
  abort: { request: AbortRequest, reply: Ack },
} as const;

export type Route = keyof typeof ROUTES;
export type RequestOf<R extends Route> = z.infer<(typeof ROUTES)[R]['request']>;
export type ReplyOf<R extends Route> = z.infer<(typeof ROUTES)[R]['reply']>;
