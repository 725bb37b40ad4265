/** Exit codes, documented in --help and the README. */
export const EXIT = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  auth: 3,
  interrupted: 130,
} as const;

/** Bad input or configuration: one line, exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Authentication or authorization failed before anything was copied: exit 3. */
export class AuthError extends Error {
  readonly exitCode = EXIT.auth;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export const EXIT_CODES_HELP = `
Exit codes:
  0    everything copied or already there
  1    some objects failed (listed above, each with a hint)
  2    usage or configuration error
  3    authentication or authorization failed before anything was copied
  130  interrupted (Ctrl-C); run the same command again to resume`;
