/**
 * The catalog file on disk: read and validated (one sentence per mistake, naming the file), and written
 * atomically — a temporary file in the same directory, fsync, rename over the old one, fsync of the
 * directory — so a crash at any moment leaves the old catalog or the new one, never a torn file. A symlinked
 * catalog is written through the link (the link stays), and the new file keeps the old one's mode (and owner,
 * when running as root).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Catalog, parseCatalog } from './catalog.js';
import { renderCatalogJson } from './render.js';

/** Largest catalog file read: thousands of channels fit in a few MiB. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export class CatalogFileError extends Error {
  override readonly name = 'CatalogFileError';
  /**
   * The mistake without the file's name: an errno code (`ENOENT`) when the file could not be read, else the
   * parser's sentence.
   */
  readonly reason: string;
  /** True when the file could not be read (as opposed to read and found invalid). */
  readonly unreadable: boolean;

  constructor(message: string, reason: string, unreadable: boolean) {
    super(message);
    this.reason = reason;
    this.unreadable = unreadable;
  }
}

export interface CatalogFile {
  readonly catalog: Catalog;
  readonly format: 'json' | 'm3u';
  /** SHA-256 of the bytes read: tells whether the file changed since. */
  readonly digest: string;
}

export function readCatalogFile(path: string): CatalogFile {
  return parseCatalogBytes(path, readCatalogBytes(path));
}

/** The file's bytes (CatalogFileError when it cannot be read or is too large). */
export function readCatalogBytes(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CatalogFileError(`Cannot read the channel file ${path} (${code}).`, code, true);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    const reason = `it is larger than ${MAX_FILE_BYTES} bytes`;
    throw new CatalogFileError(
      `The channel file ${path} is larger than ${MAX_FILE_BYTES} bytes.`,
      reason,
      false,
    );
  }
  return bytes;
}

export function parseCatalogBytes(path: string, bytes: Buffer): CatalogFile {
  const text = bytes.toString('utf8');
  const parsed = parseCatalog(text);
  if (parsed.error !== null)
    throw new CatalogFileError(`The channel file ${path} is invalid: ${parsed.error}.`, parsed.error, false);
  return {
    catalog: parsed.catalog,
    format: /^\uFEFF?\s*#EXTM3U/.test(text) ? 'm3u' : 'json',
    digest: digestOf(bytes),
  };
}

export function digestOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The JSON value of a catalog file's bytes (a leading byte order mark ignored), or null when they are not
 * JSON (an M3U playlist): what `writeCatalogFile` keeps the operator's own keys from.
 */
export function catalogJsonOf(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
}

/**
 * Replaces a JSON catalog file atomically; returns the digest of what it wrote. `file` is the file's JSON as
 * read just before (`catalogJsonOf`; null when there was no file): the keys the gateway does not know in it
 * are kept (renderCatalogJson).
 */
export function writeCatalogFile(path: string, catalog: Catalog, file: unknown = null): string {
  const text = renderCatalogJson(catalog, file);
  writeFileAtomic(path, text);
  return digestOf(Buffer.from(text, 'utf8'));
}

/**
 * Replaces `path` atomically. A symlink is followed: the temporary file goes beside the link's target and
 * is renamed over it, so the link stays. The new file keeps the old one's mode (and owner and group when
 * running as root); a new file gets 0644 less the umask.
 */
export function writeFileAtomic(path: string, text: string): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    // No file yet (or a dangling link): write `path` itself.
  }
  let old: Stats | null = null;
  try {
    old = statSync(target);
  } catch {
    // A new file.
  }
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  // Created owner-only when replacing a file, so the text is never more readable than the old file's.
  const fd = openSync(temp, 'w', old ? old.mode & 0o600 : 0o644);
  try {
    if (old) {
      if (process.getuid?.() === 0) {
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // A filesystem without owners: the mode is still kept.
        }
      }
      // After the chown, which may clear set-id bits.
      fchmodSync(fd, old.mode & 0o7777);
    }
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
  try {
    renameSync(temp, target);
  } catch (err) {
    // Not replaced (a mount point: EBUSY): the temporary file must not pile up beside the catalog.
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to clean up.
    }
    throw err;
  }
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
