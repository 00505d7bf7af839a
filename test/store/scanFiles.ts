import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under a folder (byte for byte: SQLite files, WAL, free pages) holding any of the needles, with the file's size. */
export function scanFiles(dir: string, needles: readonly string[]): { file: string; needle: string; bytes: number }[] {
  const hits: { file: string; needle: string; bytes: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      hits.push(...scanFiles(path, needles));
      continue;
    }
    const bytes = readFileSync(path);
    for (const n of needles) if (bytes.includes(Buffer.from(n))) hits.push({ file: name, needle: n, bytes: bytes.length });
  }
  return hits;
}
