/** An error as AWS would return it: the code (SDK `name`), message and HTTP status. */
export class SimAwsError extends Error {
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = code;
    this.status = status;
  }
}
