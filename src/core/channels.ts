/**
 * The channels an action can reach a customer on, defined once. Everything that lists
 * channels reads this list: the event and customer schemas, the catalogue (treatments, caps,
 * quiet hours, capacity), the CLI, the digital twin and the delivery adapters (src/channels/).
 * Adding a channel is one entry here, then treatments for it in the catalogue YAML.
 */
import { z } from 'zod';

/** What the bank knows about a channel, whatever delivers it. */
export interface ChannelDefinition {
  readonly name: string;
  /** `push`: the bank starts the contact (a notification, an email, a call); `pull`: shown when the customer comes (the app, the branch). */
  readonly kind: 'push' | 'pull';
  /** Whether the channel may carry marketing (with the customer's consent), not only service messages. */
  readonly marketing: boolean;
  /** Whether a contact interrupts the customer: such channels keep quiet hours by default. */
  readonly interrupts: boolean;
  /** Whether the customer can respond in the channel itself (tap, click), so a response arrives as an event. */
  readonly interactive: boolean;
  /** What one contact costs the bank, all in (GBP): staff time for a call or a branch conversation, goodwill for a message. */
  readonly contactCostGbp: number;
}

/** The channels, in a fixed order (simulation codes and stored indexes follow it: add new ones at the end). */
export const CHANNELS = [
  { name: 'push', kind: 'push', marketing: true, interrupts: true, interactive: true, contactCostGbp: 1 },
  { name: 'email', kind: 'push', marketing: true, interrupts: false, interactive: true, contactCostGbp: 1 },
  { name: 'in_app', kind: 'pull', marketing: true, interrupts: false, interactive: true, contactCostGbp: 1 },
  { name: 'chatbot', kind: 'pull', marketing: true, interrupts: false, interactive: true, contactCostGbp: 1 },
  { name: 'call_centre', kind: 'push', marketing: true, interrupts: true, interactive: false, contactCostGbp: 8 },
  { name: 'branch', kind: 'pull', marketing: true, interrupts: false, interactive: false, contactCostGbp: 5 },
  { name: 'sms', kind: 'push', marketing: true, interrupts: true, interactive: true, contactCostGbp: 1 },
] as const satisfies readonly ChannelDefinition[];

export type ChannelName = (typeof CHANNELS)[number]['name'];

/** The channel names, in order. */
export const CHANNEL_NAMES = CHANNELS.map((c) => c.name) as [ChannelName, ...ChannelName[]];

/** A channel name, validated. */
export const Channel = z.enum(CHANNEL_NAMES);
export type Channel = z.infer<typeof Channel>;

const byName = new Map<string, ChannelDefinition>(CHANNELS.map((c) => [c.name, c]));

/** The definition of a channel; undefined for a name that is not one. */
export function channelDefinition(name: string): ChannelDefinition | undefined {
  return byName.get(name);
}

/** The channels that keep quiet hours when a catalogue does not list them. */
export const INTERRUPTING_CHANNELS: Channel[] = CHANNELS.filter((c) => c.interrupts).map((c) => c.name);
