// The shard's HLS service in-process: a real ring and segment index written here, a stream table on a
// control channel whose port records what would go to main, and fake uWS requests/responses. Covers the
// multivariant first answer, the session media playlist (cached per index version), the listing margin
// (segments that would not outlive their removal are not listed), 404 for an expired segment, HEAD.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Recorder } from '@shardcast/metrics';
import { buildPatPacket, buildPmtPacket } from '@shardcast/mpegts';
import { createRing, RingWriter, TS_PACKET_SIZE } from '@shardcast/ring';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import type { ShardToMain } from '../src/protocol.js';
import { ControlChannel } from '../src/shard/control.js';
import { HlsService } from '../src/shard/hls-service.js';
import { StreamTable } from '../src/shard/streams.js';
import type { StreamKey } from '../src/stream-key.js';

const HEX = 'b'.repeat(40);
const KEY: StreamKey = { kind: 'id', hex: HEX };
const PMT_PID = 0x1000;
const PSI = new Uint8Array([
  ...buildPatPacket({ programs: [{ programNumber: 1, pmtPid: PMT_PID }] })!,
  ...buildPmtPacket(PMT_PID, {
    programNumber: 1,
    pcrPid: 0x100,
    streams: [{ streamType: 0x1b, pid: 0x100 }],
  })!,
]);

// The numbers of the listing-margin case. Target 2 s → TD 6 (hard maximum 6 s); window 60 s → listing
// margin W + 3 × (TD + 0.5) = 79.5 s. At 100 packets a second a ring of 8192 packets cannot keep that, so
// the margin shrinks to keep the newest 4 × TD = 24 s listable: a segment is listed only if it starts at
// most 2400 packets behind the writer.
const PACKETS_PER_SECOND = 100;
const BITRATE_BPS = PACKETS_PER_SECOND * TS_PACKET_SIZE * 8;
const CAPACITY_PACKETS = 8192;
const SEGMENT_SECONDS = 2;
const SEGMENT_PACKETS = SEGMENT_SECONDS * PACKETS_PER_SECOND;
const LISTABLE_BEHIND_PACKETS = 24 * PACKETS_PER_SECOND;

interface Answer {
  status: string;
  headers: Map<string, string>;
  body: Buffer;
  /** The Content-Length a HEAD answer announced (endWithoutBody). */
  announcedLength: number | null;
}

/** A uWS response recording the answer; `done` resolves when it ended. */
class FakeResponse {
  status = '';
  readonly headers = new Map<string, string>();
  readonly chunks: Buffer[] = [];
  announcedLength: number | null = null;
  closed = false;
  readonly done: Promise<Answer>;
  #resolve!: (a: Answer) => void;
  #tryEndOffset = 0;

  constructor() {
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
  }
  #finish(): void {
    this.#resolve({
      status: this.status,
      headers: this.headers,
      body: Buffer.concat(this.chunks),
      announcedLength: this.announcedLength,
    });
  }
  onAborted(_cb: () => void): this {
    return this;
  }
  onWritable(_cb: (offset: number) => boolean): this {
    return this;
  }
  cork(cb: () => void): this {
    cb();
    return this;
  }
  writeStatus(s: string): this {
    this.status = s;
    return this;
  }
  writeHeader(k: string, v: string): this {
    this.headers.set(k.toLowerCase(), v);
    return this;
  }
  end(body?: string | Uint8Array): this {
    if (body !== undefined) this.chunks.push(Buffer.from(body));
    this.#finish();
    return this;
  }
  endWithoutBody(length?: number): this {
    // The gateway writes Content-Length itself and calls this without a length (see endHead).
    const header = this.headers.get('content-length');
    this.announcedLength = length ?? (header === undefined ? null : Number(header));
    this.#finish();
    return this;
  }
  tryEnd(piece: Uint8Array, total: number): [boolean, boolean] {
    this.chunks.push(Buffer.from(piece));
    this.#tryEndOffset += piece.length;
    const done = this.#tryEndOffset >= total;
    if (done) this.#finish();
    return [true, done];
  }
  getWriteOffset(): number {
    return this.#tryEndOffset;
  }
  close(): this {
    this.closed = true;
    this.#finish();
    return this;
  }
  getRemoteAddressAsText(): ArrayBuffer {
    return new TextEncoder().encode('127.0.0.1').buffer as ArrayBuffer;
  }
}

/** Media sequence and segment URIs of a media playlist (as the gateway writes it). */
function parseMedia(text: string): { mediaSequence: number; uris: string[] } {
  const m = /^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(text);
  assert.ok(m, `a media playlist:\n${text}`);
  const uris = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { mediaSequence: Number(m[1]), uris };
}

function request(query: string, params: string[] = []): HttpRequest {
  return {
    getQuery: () => query,
    getParameter: (i: number) => params[i],
    getHeader: () => '',
  } as unknown as HttpRequest;
}

function setup() {
  const config = {
    ...loadConfig(['--hls-segment-seconds', String(SEGMENT_SECONDS), '--hls-window-seconds', '60'], {})
      .config,
  };
  const posted: ShardToMain[] = [];
  const control = new ControlChannel({ postMessage: (msg) => posted.push(msg) });
  const table = new StreamTable(control, config.openTimeoutSeconds);
  const handles = createRing({ capacityPackets: CAPACITY_PACKETS });
  const writer = new RingWriter(handles);
  writer.setBitrate(BITRATE_BPS);
  writer.setState('live');
  const stream = table.attach(1, KEY, handles);
  const hls = new HlsService(config, table, new Recorder(), () => true, createLogger('silent'));
  let seq = 0;
  /** Appends one 2 s segment of packets and publishes it. */
  const segment = (): void => {
    const start = writer.commitCursor;
    const bytes = new Uint8Array(SEGMENT_PACKETS * TS_PACKET_SIZE);
    for (let o = 0; o < bytes.length; o += TS_PACKET_SIZE) {
      bytes[o] = 0x47;
      bytes[o + 1] = 0x01;
      bytes[o + 3] = 0x10;
      bytes[o + 4] = seq & 0xff;
    }
    writer.write(bytes);
    writer.publishSegment({
      seq,
      start,
      end: writer.commitCursor,
      durationUs: SEGMENT_SECONDS * 1e6,
      discontinuity: false,
      discontinuitySequence: 0,
      programDateTimeMs: 1_700_000_000_000 + seq * SEGMENT_SECONDS * 1000,
      forcedCut: false,
      independent: true,
      generation: 0,
      psi: PSI,
    });
    seq++;
  };
  const playlist = (query: string, head = false): Promise<Answer> => {
    const res = new FakeResponse();
    hls.playlist(res as unknown as HttpResponse, request(query), { head, cors: [] });
    return res.done;
  };
  const getSegment = (n: number, head = false): Promise<Answer> => {
    const res = new FakeResponse();
    hls.segment(res as unknown as HttpResponse, request('', [stream.token, `${n}.ts`]), { head, cors: [] });
    return res.done;
  };
  return { hls, writer, stream, posted, segment, playlist, getSegment };
}

const rig = setup();
after(() => rig.hls.close());

/** The media-playlist URI of a multivariant answer, and its session id. */
let mediaQuery = '';

test('first answer: a multivariant playlist naming a fresh session', async () => {
  for (let i = 0; i < 40; i++) rig.segment();
  const a = await rig.playlist(`id=${HEX}`);
  assert.equal(a.status, '200 OK');
  assert.equal(a.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const text = a.body.toString();
  assert.match(text, /^#EXTM3U\n/);
  assert.match(text, /#EXT-X-STREAM-INF:.*BANDWIDTH=\d+/);
  const uri = /^manifest\.m3u8\?(id=[0-9a-f]{40}&session=[\w-]{8,64})$/m.exec(text);
  assert.ok(uri, `a media-playlist URI with a session:\n${text}`);
  mediaQuery = uri[1]!;
  const again = await rig.playlist(`id=${HEX}`);
  assert.notEqual(again.body.toString(), text, 'every first answer names a new session');
  assert.deepEqual(rig.posted, [], 'a stream the shard already has needs no round trip to main');
});

test('session media playlist: listed only while a segment outlives its removal; cached per index version', async () => {
  let reads = 0;
  const reader = rig.stream.reader;
  const readSegment = reader.readSegment.bind(reader);
  reader.readSegment = (seq: number) => {
    reads++;
    return readSegment(seq);
  };

  const a = await rig.playlist(mediaQuery);
  assert.equal(a.status, '200 OK');
  const media = parseMedia(a.body.toString());
  const seqs = media.uris;
  // 40 segments written (8000 packets); listable: those starting at most 2400 packets behind the writer.
  const firstListable = (40 * SEGMENT_PACKETS - LISTABLE_BEHIND_PACKETS) / SEGMENT_PACKETS;
  assert.equal(
    media.mediaSequence,
    firstListable,
    'the window stops at the first segment too close to removal',
  );
  assert.deepEqual(
    seqs,
    Array.from({ length: 40 - firstListable }, (_, i) => `hls/${HEX}/${firstListable + i}.ts`),
  );
  assert.ok(reader.readSegment(firstListable - 1), 'the unlisted segment is still in the ring (not expired)');
  const older = await rig.getSegment(firstListable - 1);
  assert.equal(older.status, '200 OK', '…and still downloadable by a player that listed it earlier');

  reads = 0;
  const b = await rig.playlist(mediaQuery);
  assert.equal(b.body.toString(), a.body.toString());
  assert.equal(reads, 0, 'same index version: the cached text, no walk over the index');

  rig.segment();
  const c = await rig.playlist(mediaQuery);
  assert.ok(reads > 0, 'a new index version is rendered');
  const next = parseMedia(c.body.toString());
  assert.equal(next.uris.at(-1), `hls/${HEX}/40.ts`);
  assert.equal(next.mediaSequence, firstListable + 1);

  const head = await rig.playlist(mediaQuery, true);
  assert.equal(head.status, '200 OK');
  assert.equal(head.body.length, 0, 'HEAD: no body');
  assert.equal(head.announcedLength, c.body.length, 'HEAD announces the GET length');
  assert.equal(rig.hls.viewersOf(rig.stream.id), 1, 'the session is one viewer however often it polls');
});

test('segments: bytes with PAT/PMT first, HEAD without body, 404 JSON once expired', async () => {
  const newest = 40;
  const get = await rig.getSegment(newest);
  assert.equal(get.status, '200 OK');
  assert.equal(get.headers.get('content-type'), 'video/mp2t');
  assert.equal(get.body.length, PSI.length + SEGMENT_PACKETS * TS_PACKET_SIZE);
  assert.deepEqual(get.body.subarray(0, PSI.length), Buffer.from(PSI));
  assert.equal(get.body[PSI.length + 4], newest & 0xff, 'the segment’s own packets follow');

  const head = await rig.getSegment(newest, true);
  assert.equal(head.status, '200 OK');
  assert.equal(head.body.length, 0);
  assert.equal(head.announcedLength, get.body.length);

  // The writer laps the oldest segment still served: its bytes are gone, so is the segment.
  const victim = rig.stream.reader.segmentBounds()!.firstAvailable;
  assert.equal((await rig.getSegment(victim)).status, '200 OK');
  rig.segment();
  assert.equal(rig.stream.reader.readSegment(victim), null, 'one more segment overwrote it');
  const gone = await rig.getSegment(victim);
  assert.equal(gone.status, '404 Not Found');
  assert.equal(gone.headers.get('content-type'), 'application/json');
  assert.equal(JSON.parse(gone.body.toString()).error.code, 'SC_ERR_SEGMENT_NOT_FOUND');
  const goneHead = await rig.getSegment(victim, true);
  assert.equal(goneHead.status, '404 Not Found');
  assert.equal(goneHead.body.length, 0, 'HEAD of a missing segment: no body either');
});
