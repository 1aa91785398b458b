import { type Clients, createClients } from '../aws/clients.js';
import { isMutating } from '../local/transport.js';
import type { Account } from './account.js';

// Dry run: the real SDK clients and the real step code, but every call that would change
// something is recorded (service, command, exact input) and answered with a placeholder;
// reads go to the account as usual. What `greenlight plan` prints is what the release sends.

export interface PlannedCall {
  service: string;
  command: string;
  input: Record<string, unknown>;
}

const PLACEHOLDERS: Record<string, unknown> = {
  CreateLaunchTemplateVersion: { LaunchTemplateVersion: { VersionNumber: '<new version>' } },
  RegisterTaskDefinition: { taskDefinition: { taskDefinitionArn: '<new task definition revision>' } },
  RunInstances: { Instances: [{ InstanceId: 'i-<new>', State: { Name: 'pending' } }] },
  CreateImage: { ImageId: 'ami-<new>' },
};

export function dryRunClients(account: Account, recorded: PlannedCall[]): Clients {
  // Against AWS, fresh clients (default chain); on the simulator, clients over its transport.
  const record = (service: string, client: unknown) =>
    (client as { middlewareStack: { addRelativeTo: (mw: unknown, o: unknown) => void } }).middlewareStack.addRelativeTo(
      // biome-ignore lint/suspicious/noExplicitAny: middleware generics are not worth spelling out here.
      (next: any, context: any) => async (args: any) => {
        const command = String(context.commandName).replace(/Command$/, '');
        if (!isMutating(command)) return next(args);
        recorded.push({ service, command, input: structuredClone(args.input) });
        return { output: { ...(PLACEHOLDERS[command] ?? {}), $metadata: { httpStatusCode: 200 } }, response: {} };
      },
      { relation: 'before', toMiddleware: 'retryMiddleware', name: 'greenlightDryRun', override: true },
    );
  // Each client gets the recorder as it is built (clients are built on first use).
  const clients = account.kind === 'sim' ? account.session!.transport.clients('plan', record) : createClients({}, record);
  return clients;
}
