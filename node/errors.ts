// Errors a user can read (STYLE.md): the CLI prints the message and exits non-zero.

export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
