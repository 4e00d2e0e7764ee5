/** A user's mistake in training options or data: printed without a stack trace. */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
