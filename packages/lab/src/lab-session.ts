import { createReadStream } from 'node:fs';
import type { NodeSSH } from 'node-ssh';
import { BOOT_ID_COMMAND, localBootId } from './boot-id.js';
import { LabIsThisMachine } from './errors/lab-is-this-machine.js';
import { RemoteCommandFailed } from './errors/remote-command-failed.js';
import type { LabConfig } from './lab-config.js';
import { shellQuote } from './shell-quote.js';
import { type ConnectOptions, connectLab } from './ssh-connection.js';
import { SshRunner } from './ssh-runner.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * One worker's view of one lab: an SSH session opened on demand (and again after each
 * reboot), housekeeping commands, uploads, and a Runner for oracles. Holds no lease;
 * take one with LabLeases before changing what the lab runs.
 */
export class LabSession {
  private connection: NodeSSH | undefined;
  private firstCmdline: string | undefined;

  constructor(
    readonly config: LabConfig,
    private readonly connectOptions: ConnectOptions = {},
  ) {}

  async ssh(): Promise<NodeSSH> {
    if (this.connection?.isConnected()) return this.connection;
    this.connection = await connectLab(this.config, this.connectOptions);
    return this.connection;
  }

  /** Drops the session (e.g. before the lab reboots under it). */
  disconnect(): void {
    this.connection?.dispose();
    this.connection = undefined;
  }

  /** A shell command line on the lab; `sudo` from the config is prefixed when `privileged`. */
  async exec(
    command: string,
    options: { privileged?: boolean; stdin?: NodeJS.ReadableStream } = {},
  ): Promise<ExecResult> {
    const ssh = await this.ssh();
    const line =
      options.privileged && this.config.sudo
        ? `${this.config.sudo} sh -c ${shellQuote(command)}`
        : command;
    const result = await ssh.execCommand(line, {
      ...(options.stdin
        ? { stdin: options.stdin as NodeJS.ReadableStream & import('node:stream').Readable }
        : {}),
    });
    return { stdout: result.stdout, stderr: result.stderr, code: result.code };
  }

  /** Like exec, but a non-zero exit is a RemoteCommandFailed. */
  async check(command: string, options: { privileged?: boolean } = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0)
      throw new RemoteCommandFailed(this.config.name, command, result.code, result.stderr);
    return result.stdout.trim();
  }

  bootId(): Promise<string> {
    return this.check(BOOT_ID_COMMAND);
  }

  release(): Promise<string> {
    return this.check('uname -r');
  }

  /**
   * The lab's boot id, after making sure the lab is not this machine. Called before every
   * kexec: a config pointing at the worker host (its own sshd) must never reboot it.
   */
  async bootIdNotThisMachine(): Promise<string> {
    const bootId = await this.bootId();
    if (bootId === localBootId()) {
      this.disconnect();
      throw new LabIsThisMachine(this.config.name, bootId);
    }
    return bootId;
  }

  /** The command line kexec passes: the config's, else the lab's own as first seen. */
  async kernelCmdline(): Promise<string> {
    if (this.config.cmdline) return this.config.cmdline;
    this.firstCmdline ??= await this.check('cat /proc/cmdline');
    return this.firstCmdline;
  }

  /**
   * Streams a file to the lab through `cat`: works with any SSH server, including dropbear
   * without an SFTP subsystem. Written under a temporary name, then renamed.
   */
  async upload(localPath: string, remotePath: string): Promise<void> {
    const temporary = `${remotePath}.part`;
    const command = `mkdir -p "$(dirname ${shellQuote(remotePath)})" && cat > ${shellQuote(temporary)} && mv -f ${shellQuote(temporary)} ${shellQuote(remotePath)}`;
    const ssh = await this.ssh();
    const result = await ssh.execCommand(command, { stdin: createReadStream(localPath) });
    if (result.code !== 0)
      throw new RemoteCommandFailed(
        this.config.name,
        `upload ${localPath}`,
        result.code,
        result.stderr,
      );
  }

  /** Runs oracles on the lab through the same seam as the local oracle. */
  runner(): SshRunner {
    return new SshRunner({ connection: () => this.ssh() });
  }
}
