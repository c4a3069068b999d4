// Loaded with `node --import` into a process under test: records every module the process
// loads into the file $KBISECT_MODULE_PROBE, one path or URL a line. ES modules are seen by
// a resolve hook (in the hooks thread); CommonJS modules by the require cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.KBISECT_MODULE_PROBE;
if (!out) throw new Error('module-probe.mjs needs KBISECT_MODULE_PROBE (the file to write)');

register('./module-probe-hooks.mjs', import.meta.url, { data: { out } });

const require = createRequire(import.meta.url);
process.on('exit', () => {
  appendFileSync(out, `${Object.keys(require.cache).join('\n')}\n`);
});
