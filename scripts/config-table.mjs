#!/usr/bin/env node
// Prints the README's configuration table from the gateway's option schema (build first).
// Usage: node scripts/config-table.mjs
import { OPTIONS, valueName } from '../apps/gateway/dist/src/config/schema.js';

const rows = OPTIONS.map((o) => {
  const def =
    typeof o.def === 'function'
      ? 'cores'
      : Array.isArray(o.def)
        ? o.def.join(', ') || '—'
        : o.def === undefined
          ? '—'
          : String(o.def);
  const flag = o.switch ? `\`--${o.flag}\`` : `\`--${o.flag} <${valueName(o)}>\``;
  return `| ${flag} | \`${o.env}\` | ${def} | ${o.help.replace(/\|/g, '\\|')} |`;
});
console.log(['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n'));
