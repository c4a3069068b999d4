import { describe, expect, it } from 'vitest';
import { abortable } from './child-job.js';

describe('abortable', () => {
  it('leaves no unhandled rejection when the signal was aborted before the work failed', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const controller = new AbortController();
      controller.abort(new Error('bisect cancelled'));
      let fail: (error: Error) => void = () => {};
      const work = new Promise<never>((_, reject) => {
        fail = reject;
      });
      await expect(abortable(work, controller.signal)).rejects.toThrow('bisect cancelled');
      fail(new Error('bisect was cancelled or removed'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
