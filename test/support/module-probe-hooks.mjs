// The resolve hook of module-probe.mjs: writes each resolved URL as it is loaded.
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(out, `${resolved.url}\n`);
  return resolved;
}
