import { ModulesInstallFailed } from './errors/modules-install-failed.js';
import type { LabSession } from './lab-session.js';
import { shellQuote } from './shell-quote.js';

/** What `uname -r` can say; nothing that could leave lib/modules. */
const RELEASE = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

/**
 * Puts the modules of `release` on the lab before it boots that kernel: the archive (a tar.gz
 * relative to lib/modules/<release>, see @kbisect/build's packModules) is uploaded, unpacked
 * with the lab's privileges (`sudo` from the config) into a fresh directory beside the
 * target, which then replaces `<modulesRoot>/lib/modules/<release>`. Other releases' modules
 * are left alone; an archive that does not unpack leaves the target as it was and throws
 * ModulesInstallFailed.
 */
export async function installModules(
  session: LabSession,
  archive: string,
  release: string,
): Promise<void> {
  const lab = session.config.name;
  if (!RELEASE.test(release) || release.includes('..')) {
    throw new ModulesInstallFailed(lab, release, 'the release is not a plain directory name');
  }
  const root = (session.config.modulesRoot ?? '/').replace(/\/+$/, '');
  const target = `${root}/lib/modules/${release}`;
  const fresh = `${root}/lib/modules/.${release}.kbisect-new`;
  const uploaded = `/tmp/kbisect/modules-${release}.tar.gz`;
  await session.upload(archive, uploaded);
  const [t, f, a] = [target, fresh, uploaded].map(shellQuote);
  const script = [
    'set -e',
    `rm -rf ${f}`,
    `mkdir -p ${f}`,
    `if ! tar -xzf ${a} -C ${f}; then rm -rf ${f} ${a}; exit 1; fi`,
    `rm -rf ${t}`,
    `mv ${f} ${t}`,
    `rm -f ${a}`,
  ].join('; ');
  const result = await session.exec(script, { privileged: true });
  if (result.code !== 0) {
    throw new ModulesInstallFailed(lab, release, `${result.stdout}${result.stderr}`);
  }
}
