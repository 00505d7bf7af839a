import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { NextbestError, ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import { BANK_PACK } from './bankPack.js';
import { FeatureFile } from './definition.js';
import { FeatureSet } from './featureSet.js';

/** Parses a definitions file (YAML or JSON, `{ version: 1, features: [...] }`) and compiles it. */
export function parseFeatureFile(text: string, source: string): FeatureSet {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new NextbestError('CONFIG_INVALID', `${source}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  const parsed = FeatureFile.safeParse(raw);
  if (!parsed.success) {
    // Definitions are checked one by one below for clearer messages; only the envelope here.
    const envelope = fieldIssues(parsed.error).filter((i) => !i.field.startsWith('features.'));
    if (envelope.length > 0) throw new ValidationError(envelope, `${source}: ${envelope.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
  const features = (raw as { features?: unknown }).features;
  try {
    return FeatureSet.compile(Array.isArray(features) ? features : []);
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(e.issues, `${source}: ${e.message}`);
    throw e;
  }
}

/** Reads and compiles a definitions file. */
export function loadFeatureFile(path: string): FeatureSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NextbestError('CONFIG_INVALID', `cannot read feature definitions ${path}: ${(e as Error).message}`);
  }
  return parseFeatureFile(text, path);
}

/** The configured definitions: a file when given, else the bank pack. */
export function loadFeatures(path: string | undefined): FeatureSet {
  return path ? loadFeatureFile(path) : FeatureSet.compile(BANK_PACK);
}
