import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '../../src/core/events.js';

describe('docs/events.md', () => {
  it('documents every event type', () => {
    const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
    for (const t of EVENT_TYPES) expect(doc, t).toContain(`| \`${t}\` |`);
  });
});
