import { bundleDashboard, type DashboardAsset } from '@kbisect/web';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

export const WEB_PAGE_PATH = '/ui';

/**
 * Only the service itself: the page loads nothing from elsewhere and runs no inline script.
 * Styles may be set from script (uPlot sizes its canvas that way).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function send(request: FastifyRequest, reply: FastifyReply, file: DashboardAsset) {
  reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // The files change only when the service is upgraded: revalidate, then 304.
    .header('cache-control', 'no-cache')
    .header('etag', file.etag)
    .type(file.contentType);
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  return reply.send(file.body);
}

/**
 * The dashboard (apps/web): bisects, their samples and evidence, watches. The page's files are
 * bundled in memory when the API starts and need no token: they hold no data. The page asks
 * for a token and sends it in the Authorization header of its API requests, like any client.
 */
export async function registerWebPage(app: FastifyInstance): Promise<void> {
  const assets = await bundleDashboard();
  app.log.debug({ weightBytes: assets.weightBytes }, 'web page bundled');
  const page = (request: FastifyRequest, reply: FastifyReply) => send(request, reply, assets.html);
  const hide = { hide: true };
  app.get('/', { schema: hide }, (_request, reply) => reply.redirect(`${WEB_PAGE_PATH}/`));
  app.get(WEB_PAGE_PATH, { schema: hide }, (_request, reply) =>
    reply.redirect(`${WEB_PAGE_PATH}/`),
  );
  app.get(`${WEB_PAGE_PATH}/`, { schema: hide }, page);
  // Every page of the dashboard is the same shell: its script draws the page the path names.
  for (const path of ['bisects/:id', 'watches', 'watches/:id']) {
    app.get(`${WEB_PAGE_PATH}/${path}`, { schema: hide }, page);
  }
  app.get(
    `${WEB_PAGE_PATH}/assets/:file`,
    { schema: { hide: true, params: Type.Object({ file: Type.String() }) } },
    (request, reply) => {
      const { file } = request.params as { file: string };
      const asset = assets.files.get(file);
      if (!asset) {
        return reply
          .status(404)
          .send({ statusCode: 404, error: 'Not Found', message: `no file ${file}` });
      }
      return send(request, reply, asset);
    },
  );
}
