// What every golbctl command shares: --server, --token, --json, a lazily opened Admin client that
// is always closed, and errors printed as one line ("Error: ...") with exit status 1
// (2 for usage mistakes, as oclif reports them).
import { Command, Flags, type Interfaces } from '@oclif/core';
import { connect, ControlPlaneError, DEFAULT_DEADLINE_MS, DEFAULT_SERVER, type AdminApi } from './client.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    server: Flags.string({
      char: 's',
      summary: 'Control plane gRPC address (host:port).',
      env: 'GOLB_SERVER',
      default: DEFAULT_SERVER,
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      summary: "The operator token: the control plane's --admin-token or --token (sent as `authorization: Bearer <token>`).",
      env: 'GOLB_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    'tls-ca': Flags.string({ summary: 'Use TLS, trusting this CA (PEM) for the control plane certificate.', env: 'GOLB_TLS_CA', helpGroup: 'GLOBAL' }),
    'tls-cert': Flags.string({ summary: 'Client certificate (PEM) for mutual TLS; with --tls-key.', env: 'GOLB_TLS_CERT', helpGroup: 'GLOBAL' }),
    'tls-key': Flags.string({ summary: 'Client private key (PEM) for mutual TLS; with --tls-cert.', env: 'GOLB_TLS_KEY', helpGroup: 'GLOBAL' }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;
  /** Every positional argument (for commands with strict = false). */
  protected argList: string[] = [];
  #client: AdminApi | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
    this.argList = argv as string[];
  }

  /** The Admin client for --server/--token; unary calls get `deadlineMs` (default 5 s). */
  protected client(deadlineMs = DEFAULT_DEADLINE_MS): AdminApi {
    if (!this.#client) {
      const f = this.flags as { server: string; token?: string; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string };
      this.#client = connect({
        server: f.server,
        token: f.token || undefined,
        deadlineMs,
        tls: { caFile: f['tls-ca'] || undefined, certFile: f['tls-cert'] || undefined, keyFile: f['tls-key'] || undefined },
      });
    }
    return this.#client;
  }

  /** Stops the command with a one-line error and exit status 1 (or `exit`). */
  protected fail(message: string, exit = 1): never {
    this.error(message, { exit });
  }

  /** Writes a line to stdout even under --json (for progress that must not mix into JSON, use stderr). */
  protected out(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** Writes a line to stderr unless --json is on. */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${text}\n`);
  }

  protected override async catch(err: Error & { code?: string; oclif?: { exit?: number }; exitCode?: number }): Promise<void> {
    const exit = err.oclif?.exit ?? err.exitCode ?? 1;
    process.exitCode = exit;
    // this.exit(n): the command already said what it had to.
    if (err.code === 'EEXIT') return;
    const message = err instanceof ControlPlaneError || err.oclif ? err.message : (err.message || String(err));
    if (this.jsonEnabled()) {
      this.logJson({ error: { message, code: err instanceof ControlPlaneError ? err.code : (err.code ?? 'ERROR'), exit } });
      return;
    }
    process.stderr.write(`Error: ${message}\n`);
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.#client?.close();
    this.#client = undefined;
    await super.finally(err);
  }
}
