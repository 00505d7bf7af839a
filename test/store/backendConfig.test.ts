import { describe, it, expect } from 'vitest';
import { NextbestError } from '../../src/core/errors.js';
import { loadConfig, parseConfig } from '../../src/config.js';
import { backendKind } from '../../src/store/backends/index.js';
import { postgresOptionsFromUrls } from '../../src/store/backends/postgres.js';
import { withoutPassword } from '../../src/cli/serve.js';

const issuesOf = (input: Parameters<typeof parseConfig>[0]) => {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(NextbestError);
    return (e as NextbestError & { details: { issues: { field: string; message: string }[] } }).details.issues;
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('choosing a backend from config', () => {
  it('store is sqlite, memory or a postgres:// URL; cache a redis:// URL with a postgres store; bus a nats:// URL', () => {
    expect(parseConfig({}).store).toBe('sqlite');
    const c = parseConfig({ store: 'postgres://nb@db:5432/bank?schema=s1', cache: 'redis://cache:6379?prefix=p:', bus: 'nats://bus:4222' });
    expect([backendKind(c.store), c.cache, c.bus]).toEqual(['postgres', 'redis://cache:6379?prefix=p:', 'nats://bus:4222']);
    expect(backendKind('memory')).toBe('memory');
    expect(issuesOf({ store: 'mysql://db/bank' })[0]).toMatchObject({ field: 'store', message: expect.stringContaining('postgres://') });
    expect(issuesOf({ store: 'postgres://db/bank', cache: 'memcached://x' })[0]).toMatchObject({ field: 'cache' });
    expect(issuesOf({ store: 'sqlite', cache: 'redis://cache:6379' })[0]).toMatchObject({ field: 'cache', message: 'a cache needs a postgres:// store' });
    expect(issuesOf({ bus: 'kafka://x' })[0]).toMatchObject({ field: 'bus' });
  });

  it('reads NEXTBEST_STORE, NEXTBEST_CACHE and NEXTBEST_BUS', () => {
    const c = loadConfig('/nonexistent.yaml', { NEXTBEST_STORE: 'postgres://db/bank', NEXTBEST_CACHE: 'redis://cache', NEXTBEST_BUS: 'nats://bus' });
    expect([c.store, c.cache, c.bus]).toEqual(['postgres://db/bank', 'redis://cache', 'nats://bus']);
  });

  it('takes ?schema= and ?prefix= off the URLs before the drivers see them, and never logs a password', () => {
    expect(postgresOptionsFromUrls('postgres://nb:secret@db:5432/bank?schema=s1&sslmode=require', 'redis://cache:6379/2?prefix=nb%3Aone%3A')).toEqual({
      url: 'postgres://nb:secret@db:5432/bank?sslmode=require',
      schema: 's1',
      cacheUrl: 'redis://cache:6379/2',
      cachePrefix: 'nb:one:',
    });
    expect(postgresOptionsFromUrls('postgres://db/bank')).toEqual({ url: 'postgres://db/bank' });
    expect(withoutPassword('postgres://nb:secret@db:5432/bank?schema=s1')).toBe('postgres://nb:***@db:5432/bank?schema=s1');
    expect(withoutPassword('sqlite')).toBe('sqlite');
  });
});
