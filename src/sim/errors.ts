/** An error as AWS would return it: the code (SDK `name`), message and HTTP status. */
export class SimAwsError extends Error {
  readonly status: number;
  /** Fields the SDK's exception carries besides the message (e.g. DynamoDB's Item). */
  extra?: Record<string, unknown>;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.status = status;
  }
}
