import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from '../service/support/service-harness.js';

/** How the API serves the page's files: without a token, from itself only, revalidated. */
let service: ServiceHarness;
beforeAll(async () => {
  service = await ServiceHarness.start('web-page', { readsNeedToken: true });
});
afterAll(() => service?.close());

describe('the web page files', () => {
  it('are served without a token, under a policy that allows only the service itself', async () => {
    const page = await service.request('GET', '/ui/bisects/b0123');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('/ui/assets/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await service.request('GET', '/ui/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(10_000);
    // The data still needs the token.
    expect((await service.request('GET', '/v1/bisects')).status).toBe(401);
  });

  it('answers 304 to a revalidation with the same ETag, 404 to an unknown file', async () => {
    const first = await service.request('GET', '/ui/assets/app.css');
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"/);
    const again = await service.request('GET', '/ui/assets/app.css', {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect((await service.request('GET', '/ui/assets/nothing.js')).status).toBe(404);
  });

  it('is where / leads', async () => {
    const root = await service.request('GET', '/', { headers: {} });
    expect(root.url).toMatch(/\/ui\/$/);
    expect(root.status).toBe(200);
  });

  it('learns from /v1/me whether to ask for a token and what the token may do', async () => {
    const anonymous = await (await service.request('GET', '/v1/me')).json();
    expect(anonymous).toMatchObject({ authenticated: false, readsNeedToken: true, write: false });
    const viewer = await (
      await service.request('GET', '/v1/me', { token: service.tokens.reader })
    ).json();
    expect(viewer).toEqual({
      authenticated: true,
      readsNeedToken: true,
      name: 'viewer',
      write: false,
      admin: false,
    });
    expect((await service.request('GET', '/v1/me', { token: 'not-a-token' })).status).toBe(401);
  });
});
