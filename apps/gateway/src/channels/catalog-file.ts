/**
 * The catalog file on disk: read and validated (one sentence per mistake, naming the file), and written
 * atomically — a temporary file in the same directory, fsync, rename over the old one, fsync of the
 * directory — so a crash at any moment leaves the old catalog or the new one, never a torn file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Catalog, parseCatalog } from './catalog.js';
import { renderCatalogJson } from './render.js';

/** Largest catalog file read: thousands of channels fit in a few MiB. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export class CatalogFileError extends Error {
  override readonly name = 'CatalogFileError';
}

export interface CatalogFile {
  readonly catalog: Catalog;
  readonly format: 'json' | 'm3u';
}

export function readCatalogFile(path: string): CatalogFile {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES)
      throw new CatalogFileError(`The channel file ${path} is larger than ${MAX_FILE_BYTES} bytes.`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof CatalogFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CatalogFileError(`Cannot read the channel file ${path} (${code}).`);
  }
  const parsed = parseCatalog(text);
  if (parsed.error !== null)
    throw new CatalogFileError(`The channel file ${path} is invalid: ${parsed.error}.`);
  return { catalog: parsed.catalog, format: /^\uFEFF?\s*#EXTM3U/.test(text) ? 'm3u' : 'json' };
}

/** Replaces a JSON catalog file atomically. */
export function writeCatalogFile(path: string, catalog: Catalog): void {
  writeFileAtomic(path, renderCatalogJson(catalog));
}

export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temp, 'w', 0o644);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to clean up.
    }
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
  // The rename itself is durable only once the directory entry is on disk.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
