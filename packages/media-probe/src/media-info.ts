/**
 * What a media probe reports about a live stream, as it appears in `/api/v1/streams/<id>` (`media`).
 * Field names are snake_case because this object is API output. A field the sample could not tell is null.
 */

export interface VideoInfo {
  readonly pid: number;
  /** `h264`, `hevc`, `mpeg2`, ... (the PMT stream type, confirmed by the SPS for H.264/HEVC). */
  readonly codec: string;
  /** As ffprobe names it: `Main`, `High`, `Constrained Baseline`, `Main 10`, ... */
  readonly profile: string | null;
  /** `3.0`, `4.1`, `1b` (H.264 level_idc / 10; HEVC general_level_idc / 30). */
  readonly level: string | null;
  readonly width: number | null;
  readonly height: number | null;
  /** Frames per second: from the SPS timing info when present, else from the DTS spacing. */
  readonly frame_rate: number | null;
  /** Frames from one keyframe to the next (needs two keyframes in the sample). */
  readonly gop_frames: number | null;
  readonly gop_seconds: number | null;
  /** frame_mbs_only_flag = 0 (H.264): coded as fields. */
  readonly interlaced: boolean | null;
}

export interface AudioInfo {
  readonly pid: number;
  /** `aac`, `mp2`, `mp3`, `ac3`, `eac3`, ... */
  readonly codec: string;
  /** AAC object type from ADTS: `Main`, `LC`, `SSR`, `LTP`. */
  readonly profile: string | null;
  readonly sample_rate: number | null;
  readonly channels: number | null;
  readonly language: string | null;
}

export interface TrackInfo {
  readonly pid: number;
  readonly kind: 'video' | 'audio' | 'other';
  readonly stream_type: number;
  readonly codec: string | null;
  readonly language: string | null;
}

export interface MediaInfo {
  /** First video stream of the program, or null. */
  readonly video: VideoInfo | null;
  /** First audio stream of the program, or null. */
  readonly audio: AudioInfo | null;
  /** Every elementary stream of the PMT. */
  readonly tracks: readonly TrackInfo[];
  /** Bytes the probe looked at. */
  readonly sampled_bytes: number;
  /** Media time the sample covers (video DTS span), seconds. */
  readonly sampled_seconds: number | null;
}
