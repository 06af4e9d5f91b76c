/** What `/api/v1/streams` shows of a channel's stream: the channel, its active source, each source's last result. */
import { sourceText } from '../channels/source.js';
import type { ChannelSources } from './channel-sources.js';
import type { StreamEntry } from './directory.js';

export function channelView(e: StreamEntry, channels: ChannelSources, nowMs: number): unknown {
  const play = e.channel;
  if (!play) return null;
  return {
    id: play.id,
    name: channels.get(play.id)?.name ?? null,
    active_source: play.index,
    source_switches: play.switches,
    sources: play.sources.map((s, index) => {
      const r = channels.result(play.id, s);
      return {
        index,
        source: s.kind === 'url' ? redactUrl(s.url) : sourceText(s),
        kind: s.kind,
        active: index === play.index,
        last_result: r?.result ?? null,
        last_error: r?.reason ?? null,
        last_result_age_seconds: r ? Math.round((nowMs - r.atMs) / 100) / 10 : null,
        penalty_seconds_left:
          r && r.result === 'failed' && r.penaltyUntilMs > nowMs
            ? Math.ceil((r.penaltyUntilMs - nowMs) / 1000)
            : 0,
      };
    }),
  };
}

/** A source URL may carry a provider's credentials in its query: the API shows origin and path only. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}
