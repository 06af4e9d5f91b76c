/**
 * The guide's heavy work, off the main thread: unpacking and decoding a guide (hundreds of MB for a
 * national one), checking its root, reducing it to the catalog's ids and gzipping the answer. On main
 * these took seconds in which no stream opened or failed over (main runs the stream directory). One
 * thread per job, which exits when done: its garbage (a copy of the guide as text) goes with it, where an
 * idle thread would keep it until its next collection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gunzipSync, gzipSync } from 'node:zlib';
import { findTvRoot, reduceXmltv } from '../channels/xmltv.js';

export type EpgJob =
  /** The guide as read: unpack it (gzip), check it is XMLTV, give it back as shared bytes. */
  | { readonly op: 'load'; readonly bytes: Uint8Array; readonly maxBytes: number }
  /** The guide reduced to `ids`, and its gzip. */
  | { readonly op: 'render'; readonly guide: SharedArrayBuffer; readonly ids: readonly string[] };

export interface EpgReply {
  /** null on success; else why (one line). */
  readonly error: string | null;
  /** The guide is not XMLTV (no `<tv>` root). */
  readonly notXmltv?: boolean;
  /** `load`: the unpacked guide (UTF-8). */
  readonly guide?: SharedArrayBuffer;
  /** `load`: its length in characters. */
  readonly chars?: number;
  /** `render`: the reduced guide and its gzip. */
  readonly xml?: string;
  readonly gzip?: Uint8Array;
}

export function run(job: EpgJob): EpgReply {
  try {
    if (job.op === 'load') {
      const b = job.bytes;
      const raw = b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b, { maxOutputLength: job.maxBytes }) : b;
      if (raw.length > job.maxBytes) throw new Error(`larger than ${job.maxBytes} bytes`);
      const text = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8');
      if (!findTvRoot(text)) return { error: 'not XMLTV (no <tv> root element)', notXmltv: true };
      const guide = new SharedArrayBuffer(raw.length);
      new Uint8Array(guide).set(raw);
      return { error: null, guide, chars: text.length };
    }
    const reduced = reduceXmltv(Buffer.from(job.guide).toString('utf8'), new Set(job.ids));
    if (!reduced) return { error: 'not XMLTV (no <tv> root element)', notXmltv: true };
    return { error: null, xml: reduced.xml, gzip: gzipSync(reduced.xml) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

if (parentPort && workerData) parentPort.postMessage(run(workerData as EpgJob));
