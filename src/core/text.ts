import { reasonOf } from './errors.js';
export const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export function formatIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n) + '…';
}

/** A Step Functions error cause: from a Lambda, JSON with errorMessage; otherwise plain text. */
export function causeMessage(cause: string | undefined): string {
  try {
    const c = JSON.parse(cause ?? '');
    if (typeof c?.errorMessage === 'string') return c.errorMessage;
  } catch {
    /* plain text */
  }
  return cause ?? '';
}

/** Step Functions hands us {Error, Cause}; from Lambda, Cause is a JSON string with errorMessage. */
export function describeFailure(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'unknown failure';
  const message = causeMessage(error.Cause);
  return reasonOf(Object.assign(new Error(message.slice(0, 1000)), { name: error.Error ?? 'Error' }));
}
