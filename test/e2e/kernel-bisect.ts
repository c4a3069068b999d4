/**
 * `npm run e2e:kernel [-- --bug 3.7|tail-more|boot-panic] [--measure rate|stalls] [--pool]
 * [--no-confirm]`: the kernel bisect through the service (API, BullMQ workers, kernel build
 * jobs, kexec in the lab VM); see kernel-bisect-service.ts.
 * `npm run e2e:kernel -- --watch`: a nightly watch on a branch of the fixture instead, two
 * good runs then a pushed tail-more regression that its bisect must name (kernel-watch.ts).
 * `npm run e2e:kernel -- --in-process`: the same bisect with `runBisect` in this process
 * (kernel-bisect-in-process.ts), no Redis queues.
 */
const inProcess = process.argv.includes('--in-process');
process.argv = process.argv.filter((arg) => arg !== '--in-process');
await (inProcess ? import('./kernel-bisect-in-process.js') : import('./kernel-bisect-service.js'));
