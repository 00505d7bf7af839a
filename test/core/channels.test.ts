import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Channel, CHANNEL_NAMES, CHANNELS, INTERRUPTING_CHANNELS } from '../../src/core/channels.js';
import { Channel as EventChannel } from '../../src/core/events.js';
import { MARKETING_CHANNELS, PULL_CHANNELS, PUSH_CHANNELS } from '../../src/channels/index.js';
import { ContactPolicy, OFFER_CHANNELS, parseAction } from '../../src/decisioning/catalogue.js';
import { CONTACT_COST_GBP, OFFER_CHANNELS as TWIN_CHANNELS } from '../../src/simulation/index.js';
import { CHANNEL_AFFINITY } from '../../src/simulation/personas.js';

describe('channels, defined once', () => {
  it('every list of channels is the core list', () => {
    expect(CHANNEL_NAMES).toEqual(['push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch', 'sms']);
    expect(Channel.options).toEqual(CHANNEL_NAMES);
    expect(EventChannel.options).toEqual(CHANNEL_NAMES);
    expect(OFFER_CHANNELS).toEqual(CHANNEL_NAMES);
    // The twin used to lack sms.
    expect(TWIN_CHANNELS).toEqual(CHANNEL_NAMES);
    expect(Object.keys(CONTACT_COST_GBP)).toEqual(CHANNEL_NAMES);
    expect(CHANNEL_AFFINITY).toHaveLength(CHANNEL_NAMES.length);
    expect([...PUSH_CHANNELS, ...PULL_CHANNELS].sort()).toEqual([...CHANNEL_NAMES].sort());
    expect(MARKETING_CHANNELS.every((c) => (CHANNEL_NAMES as readonly string[]).includes(c))).toBe(true);
  });

  it('the catalogue takes a treatment for every channel, and quiet hours default to the channels that interrupt', () => {
    for (const c of CHANNELS) {
      const a = parseAction({ id: 'a', name: 'A', family: 'savings', value: { amountGbp: 1 }, message: { headline: 'h', body: 'b' }, treatments: { [c.name]: {} } });
      expect(Object.keys(a.treatments)).toEqual([c.name]);
    }
    expect(ContactPolicy.parse({ quietHours: { start: '21:00', end: '08:00' } }).quietHours!.channels).toEqual(INTERRUPTING_CHANNELS);
    expect(INTERRUPTING_CHANNELS).toEqual(['push', 'call_centre', 'sms']);
  });

  it('no other source file spells out the channel list', () => {
    // The old copies: catalogue.ts, events.ts, cli/decide.ts, simulation/offers.ts.
    for (const f of ['decisioning/catalogue.ts', 'core/events.ts', 'cli/decide.ts', 'simulation/offers.ts', 'simulation/yardstick.ts']) {
      const text = readFileSync(new URL(`../../src/${f}`, import.meta.url), 'utf8');
      expect(text, f).not.toMatch(/'push',\s*'email'/);
    }
  });
});
