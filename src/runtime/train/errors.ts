/**
 * A user's mistake in training options or data: printed without a stack trace. Exit code 2 for a
 * flag or option (a usage error), 1 for data that does not fit the model (as a bad data row).
 */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
