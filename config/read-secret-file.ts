import { readFileSync } from 'node:fs';

export type ReadFile = (path: string) => Buffer;

/**
 * Reads a certificate or key named by a setting. A failure names the setting and the path
 * (never the content), so a start-up refusal says what to fix.
 */
export function readSettingFile(
  setting: string,
  path: string,
  read: ReadFile = readFileSync,
): Buffer {
  try {
    return read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`${setting}: cannot read ${path} (${code})`);
  }
}
