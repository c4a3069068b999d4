import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SOURCES = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** One file of the page, as the server sends it. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** A strong ETag from the content: a browser revalidates and gets a 304. */
  etag: string;
}

export interface DashboardAssets {
  /** The page shell, sent for every page path (the script routes on the path). */
  html: DashboardAsset;
  /** By file name under the assets path: app.js, app.css. */
  files: ReadonlyMap<string, DashboardAsset>;
  /** Bytes of the shell, script and style together, uncompressed: what a first visit costs. */
  weightBytes: number;
}

const asset = (body: Buffer, contentType: string): DashboardAsset => ({
  body,
  contentType,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/**
 * Bundles the page's TypeScript modules, uPlot and the styles with esbuild, in memory. The API
 * calls it when it starts (a few hundred milliseconds), so there is no build step to forget
 * and no build output in the tree; everything the page loads comes from the service itself.
 */
export async function bundleDashboard(): Promise<DashboardAssets> {
  const result = await build({
    entryPoints: { app: join(SOURCES, 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120'],
    minify: true,
    write: false,
    outdir: '/assets',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, DashboardAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const type = name.endsWith('.css')
      ? 'text/css; charset=utf-8'
      : 'text/javascript; charset=utf-8';
    files.set(name, asset(Buffer.from(file.contents), type));
  }
  const html = asset(await readFile(join(SOURCES, 'index.html')), 'text/html; charset=utf-8');
  const weightBytes = [...files.values()].reduce((sum, f) => sum + f.body.length, html.body.length);
  return { html, files, weightBytes };
}
