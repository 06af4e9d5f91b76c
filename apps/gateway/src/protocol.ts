/**
 * Messages between the main thread and the shard workers, one discriminated union per direction.
 * Stream bytes never travel here: rings are SharedArrayBuffers handed over once. Errors cross as data.
 */

import type { IntervalSnapshot } from '@shardcast/metrics';
import type { RingHandles } from '@shardcast/ring';
import type { TokenTable } from './access/token-gate.js';
import type { ChannelSource } from './channels/source.js';
import type { GatewayConfig } from './config/types.js';
import type { ErrorData } from './errors.js';
import type { StreamKey } from './stream-key.js';

/** What a shard is given at spawn time (workerData). */
export interface ShardInit {
  readonly shardId: number;
  /** Names this run of the gateway, the same in every shard (HLS segment ETags differ across restarts). */
  readonly bootId: string;
  readonly config: GatewayConfig;
  /** Player tokens and their shared client counts (absent: player routes are open). */
  readonly tokens?: TokenTable;
}

export interface EngineRef {
  /** Base URL, e.g. http://127.0.0.1:6878 */
  readonly url: string;
  /** Stable registry id (the URL for static engines, container id for Docker ones). */
  readonly id: string;
}

export interface HlsStart {
  /** First media sequence number to use (never below what this stream key used before). */
  readonly seq: number;
  readonly discontinuitySeq: number;
  /** This continues an earlier life of the stream key: its first segment gets a discontinuity. */
  readonly resumed: boolean;
}

/** The source a channel's owner plays from: its place in the channel's list, and what it names. */
export interface SourceRef {
  readonly index: number;
  readonly source: ChannelSource;
}

/** The engine session an owner plays from (what the API and lifecycle events show of it). */
export interface EngineSessionRef {
  readonly playbackSessionId: string;
  readonly statUrl: string;
  readonly commandUrl: string;
  readonly isLive: boolean;
}

/** One stream of the directory, as a shard needs it to serve the stream's ring. */
export interface StreamAttachment {
  readonly streamId: number;
  readonly key: StreamKey;
  readonly ring: RingHandles;
}

// ---------------------------------------------------------------- main → shard

export type MainToShard =
  /**
   * The first message a shard gets, posted the moment it is spawned: every stream the directory holds.
   * The shard applies it before it listens; every later announcement is posted after it on the same port.
   */
  | { type: 'start'; streams: readonly StreamAttachment[] }
  /** You own (ingest) this stream: start the upstream pump into the ring. */
  | {
      type: 'own';
      streamId: number;
      key: StreamKey;
      ring: RingHandles;
      engine: EngineRef;
      hls: HlsStart;
      /** A channel's stream: the source to play (a URL source has a stand-in engine on the URL's origin). */
      source?: SourceRef;
      /** The engine session a crashed owner left running: the new owner stops it before starting its own. */
      staleSession?: { engine: EngineRef; session: EngineSessionRef };
      /**
       * The stream's engine has left the registry: the new owner fails over at once instead of starting
       * at its address (a new container may have taken the port over).
       */
      engineGone?: boolean;
    }
  /** A stream exists: serve its ring to your clients. Sent to every shard (the owner included). */
  | { type: 'attach'; streamId: number; key: StreamKey; ring: RingHandles }
  /** The stream is gone: drop it and end its remaining clients. */
  | { type: 'detach'; streamId: number; reason: string }
  /** Owner: stop the pump and the engine session (stream closed or shutting down). */
  | { type: 'disown'; streamId: number; reason: string }
  /**
   * Owner: the stream's engine is gone (its container died) or, `running`, drained (it still runs and its
   * session there is stopped): fail over now, without waiting for a timeout.
   */
  | { type: 'engineLost'; streamId: number; running: boolean }
  /** Owner: the next engine to use after a failover request (or null: none left). */
  | { type: 'engine'; streamId: number; engine: EngineRef | null; source?: SourceRef }
  /** Reply to `open`; a success carries the stream's ring, so the asking shard can serve it at once. */
  | { type: 'opened'; reqId: number; streamId: number; key: StreamKey; ring: RingHandles; error: null }
  | { type: 'opened'; reqId: number; streamId: null; error: ErrorData }
  /** Reply to `api`. */
  | {
      type: 'apiResponse';
      reqId: number;
      status: number;
      headers: Record<string, string>;
      body: string;
      /** A binary body (gzip), sent instead of `body`. */
      bytes?: Uint8Array;
    }
  /** Stop accepting, end clients, stop owned sessions, then exit by yourself. */
  | { type: 'shutdown' }
  /** Close every socket now, without engine calls, and exit (a second signal: the process exits next). */
  | { type: 'abort' }
  /**
   * The dashboard's live snapshot, serialized once on main: `public` for every `/api/v1/live` socket,
   * `admin` (with client addresses) for sockets that sent the API key, null when none is connected.
   */
  | { type: 'live'; public: string; admin: string | null }
  /**
   * The tokens file was reloaded: from now on let in only these tokens (counts stay in the same slots),
   * and cut the clients (TS connections, HLS sessions) whose token is gone or may no longer play their
   * stream. Answered by `tokensApplied` with the same `round`.
   */
  | { type: 'tokens'; tokens: TokenTable; round: number }
  /**
   * Cut these clients (by their place in the join order): the newest of a token over its lowered
   * `max_clients`, picked by main across every shard. Answered by `tokenCutDone`.
   */
  | { type: 'tokenCut'; round: number; orders: readonly number[] }
  /** The admin API key from a reloaded `--api-key-file` (the live socket checks it in the shard). */
  | { type: 'apiKey'; key: string };

// ---------------------------------------------------------------- shard → main

export interface ShardStreamStats {
  readonly streamId: number;
  readonly tsClients: number;
  /** HLS sessions counted on this shard (polled within the viewer timeout). */
  readonly hlsViewers: number;
  /** HLS sessions that polled since the last report: main counts sessions once gateway-wide. */
  readonly hlsSessions: readonly string[];
  readonly bytesOut: number;
  readonly skips: number;
  readonly drops: number;
  readonly nullPackets: number;
  readonly hlsSegmentsServed: number;
}

export interface OwnerStats {
  readonly streamId: number;
  readonly bytesIn: number;
  readonly reconnects: number;
  readonly failovers: number;
  readonly segments: number;
  readonly discontinuities: number;
  readonly syncLosses: number;
  readonly upstream: 'ts' | 'hls';
  readonly engine: EngineRef;
  readonly session: EngineSessionRef | null;
  readonly engineStat: Record<string, unknown> | null;
  /** A channel's stream: the source being played, and whether it has delivered media since it was chosen. */
  readonly source?: { readonly index: number; readonly playing: boolean };
}

export interface ShardStats {
  readonly shardId: number;
  readonly atMs: number;
  readonly streams: readonly ShardStreamStats[];
  readonly owned: readonly OwnerStats[];
  readonly tsClients: number;
  readonly loopLagMs: number;
  readonly loopUtilization: number;
  readonly metrics: IntervalSnapshot;
  /** Client lifecycle events since the previous stats message (batched; bounded per interval). */
  readonly clientEvents?: readonly ClientEvent[];
  /** Client events dropped since the previous stats message because the batch was full. */
  readonly clientEventsDropped?: number;
  /** Open `/api/v1/live` sockets on this shard, without and with the API key. */
  readonly liveViewers?: number;
  readonly liveAdmins?: number;
}

/** A client joined or left a stream on this shard (shipped in batches with `stats`). */
export interface ClientEvent {
  readonly streamId: number;
  readonly event: 'joined' | 'left';
  readonly protocol: 'ts' | 'hls';
  /** Why a client left (aborted, detached, stuck, lapped, shutdown, revoked); null on join. */
  readonly reason: string | null;
  readonly atMs: number;
  /** Per-shard client number, the same in its `joined` and `left` (TS clients). */
  readonly clientId?: number;
  /** Remote address and User-Agent, on `joined` of TS clients (shown to operators with the API key). */
  readonly address?: string;
  readonly userAgent?: string;
}

export type ShardToMain =
  | { type: 'ready'; shardId: number; port: number }
  /** The shard could not listen (the port is taken, the address is not this machine's): why, in one sentence; it exits next. */
  | { type: 'listenFailed'; shardId: number; message: string }
  /** A client asked for a stream this shard does not have live: open it (deduplicated on main). */
  | { type: 'open'; reqId: number; key: StreamKey }
  /** Owner: the ring holds a random-access point; the stream is playable. */
  | { type: 'ownerReady'; streamId: number }
  /** Owner: the stream could not be started or kept alive on any engine. */
  | { type: 'ownerFailed'; streamId: number; error: ErrorData }
  /** Owner: this engine failed for this stream; send another one. */
  | { type: 'needEngine'; streamId: number; failed: EngineRef; reason: string }
  /** Owner: it started a new engine session for the stream (a failover is main's own decision, see `needEngine`). */
  | { type: 'ownerSession'; streamId: number; engine: EngineRef; session: EngineSessionRef }
  /** Forwarded control-plane HTTP request (API, metrics). */
  | {
      type: 'api';
      reqId: number;
      method: string;
      path: string;
      query: string;
      headers: Record<string, string>;
      /** The client's address (behind a trusted proxy, the player's): admin key failures count by it. */
      client: string;
      /** PUT bodies (admin writes), UTF-8. */
      body?: string;
      /** The body was not UTF-8 (then `body` is absent): refused by the route, after the key check. */
      bodyNotUtf8?: true;
    }
  | { type: 'stats'; stats: ShardStats }
  /**
   * The shard applied a reloaded tokens file (`tokens`): the clients it cut, and every client it still has
   * of a token with a `max_clients`, as `[slot, joinOrder, …]` pairs.
   */
  | { type: 'tokensApplied'; round: number; cut: TokenCut; limited: readonly number[] }
  /** The clients of a `tokenCut` that were still there, cut. */
  | { type: 'tokenCutDone'; round: number; cut: TokenCut };

/** Clients cut by a tokens reload on one shard: TS connections (also still opening) and HLS sessions. */
export interface TokenCut {
  readonly ts: number;
  readonly hls: number;
}

// ---------------------------------------------------------------- request → reply

/** Each shard request that main answers, keyed by its type, with the reply it gets (matched by `reqId`). */
export interface ReplyOf {
  open: Extract<MainToShard, { type: 'opened' }>;
  api: Extract<MainToShard, { type: 'apiResponse' }>;
}

/** A shard → main message that expects a reply. */
export type ShardRequest = Extract<ShardToMain, { type: keyof ReplyOf }>;

/** A main → shard message that answers a request. */
export type MainReply = ReplyOf[keyof ReplyOf];
