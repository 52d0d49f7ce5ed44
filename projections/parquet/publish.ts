import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExportCut } from '../../eventstore';
import type { DatasetName } from './datasets';

// Publishing a month: each partition is one Parquet file, written and synced in the staging
// directory, then renamed over the published one. rename(2) replaces a file atomically on
// POSIX filesystems: a reader opens the old file or the new one, never a half-written one,
// and one that has the old file open keeps reading it whole. Nothing is written in place.

export const DATA_FILE = 'data.parquet';
export const MANIFEST_FILE = '_manifest.json';

/** What a partition holds, beside its Parquet file (`_manifest.json`: readers skip `_` files). */
export interface PartitionManifest {
  dataset: DatasetName;
  month: string;
  /** The partition directory below EXPORT_DIR. */
  partition: string;
  file: typeof DATA_FILE;
  rows: number;
  bytes: number;
  sha256: string;
  /**
   * The events it was made from: every event of a transaction below `horizon` (xid8), up to
   * `highestPosition`; `first`/`lastPosition` are the rows' own (null when it has none).
   */
  eventStore: ExportCut & { firstPosition: number | null; lastPosition: number | null };
  timeZone: string;
  exportId: string;
  exportedAt: string;
  code: CodeVersion;
  types: { money: string; timestamps: string };
}

export interface CodeVersion {
  /** package.json's version. */
  version: string;
  /** The git commit of the checkout, when it is one. */
  commit: string | null;
}

let code: CodeVersion | undefined;

/** The code that wrote an export, read once per process. */
export function codeVersion(): CodeVersion {
  if (code) return code;
  const root = new URL('../../', import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    version: string;
  };
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Not a checkout (a packaged build): the version alone.
  }
  code = { version, commit };
  return code;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Flushes a file's or a directory's contents to disk, so a rename never publishes less. */
export async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeSynced(file: string, text: string): Promise<void> {
  await writeFile(file, text);
  await fsyncPath(file);
}

export async function readManifest(dir: string): Promise<PartitionManifest | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as PartitionManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Installs a staged partition (its synced data file and manifest) at `target`, unless what is
 * there was made from a later cut (an export that started later and finished first): the
 * newer month stays. Returns whether it was installed.
 */
export async function installPartition(staged: string, target: string): Promise<boolean> {
  const ours = await readManifest(staged);
  if (!ours) throw new Error(`staged partition ${staged} has no manifest`);
  await mkdir(target, { recursive: true });
  const published = await readManifest(target);
  if (published && BigInt(published.eventStore.horizon) > BigInt(ours.eventStore.horizon))
    return false;
  // Data first: the manifest that follows describes it (checksum, rows).
  await rename(path.join(staged, DATA_FILE), path.join(target, DATA_FILE));
  await rename(path.join(staged, MANIFEST_FILE), path.join(target, MANIFEST_FILE));
  await fsyncPath(target);
  return true;
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
