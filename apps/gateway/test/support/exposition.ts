// Test support: a strict reader of the Prometheus text exposition format 0.0.4, enough to check a
// /metrics body line by line and read sample values back.

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Exposition {
  /** Family name → TYPE. */
  readonly types: Map<string, string>;
  readonly samples: Sample[];
  /** Problems found (empty when the text is well formed). */
  readonly problems: string[];
}

const METRIC = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === 'histogram' || types.get(base) === 'summary') return base;
    }
  }
  return name;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  if (!text.endsWith('\n')) problems.push('the body does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      if (helps.has(name)) problems.push(`HELP twice for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (types.has(name!)) problems.push(`TYPE twice for ${name}`);
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = METRIC.exec(line);
    if (!m) {
      problems.push(`malformed line: ${line}`);
      continue;
    }
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      let lm: RegExpExecArray | null = LABEL.exec(m[3]);
      while (lm) {
        labels[lm[1]!] = lm[2]!;
        consumed = LABEL.lastIndex;
        lm = LABEL.exec(m[3]);
      }
      if (consumed !== m[3].length) problems.push(`malformed labels: ${line}`);
    }
    const raw = m[4]!;
    // Prometheus reads values with Go's ParseFloat: NaN in any case (prom-client writes "Nan").
    const isNaNText = raw.toLowerCase() === 'nan';
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
    if (Number.isNaN(value) && !isNaNText) problems.push(`bad value: ${line}`);
    const family = familyOf(m[1]!, types);
    if (!types.has(family)) problems.push(`sample before its TYPE: ${line}`);
    const key = `${m[1]}{${Object.entries(labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}}`;
    if (seen.has(key)) problems.push(`duplicate series: ${key}`);
    seen.add(key);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples, problems };
}

/** Sum of the samples of `name` whose labels include `match`. */
export function sumOf(e: Exposition, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of e.samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
