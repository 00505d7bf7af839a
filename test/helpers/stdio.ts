import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Captures what CLI commands write to stdout and stderr in each test of the calling file.
 * Read `io.out` / `io.err` after running a command; both start empty in every test.
 */
export function captureStdio(): { out: string; err: string } {
  const io = { out: '', err: '' };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      io.out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      io.err += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return io;
}
