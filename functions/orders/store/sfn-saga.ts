import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ExecutionStatus, SagaInput, SagaStarter } from '../domain/ports.ts';

/** The execution ARN of `name`: Step Functions builds it from the state machine's ARN. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The SagaStarter port on the real Step Functions API: AWS in the cloud, the offline runtime's local endpoint through
 * SFN_ENDPOINT (as EventBridge goes through EVENTBRIDGE_ENDPOINT). An existing execution of the name counts as started.
 */
export class SfnSagaStarter implements SagaStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  static create(stateMachineArn: string, endpoint?: string): SfnSagaStarter {
    return new SfnSagaStarter(
      new SFNClient({ endpoint, maxAttempts: 3, requestHandler: { requestTimeout: 3_000, connectionTimeout: 1_000 } }),
      stateMachineArn,
    );
  }

  async start(name: string, input: SagaInput): Promise<'started' | 'already-started'> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return 'started';
    } catch (error) {
      if (errorName(error) === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }

  async describe(name: string): Promise<ExecutionStatus> {
    try {
      const out = await this.client.send(
        new DescribeExecutionCommand({ executionArn: executionArn(this.stateMachineArn, name) }),
      );
      // A failed execution waiting for a redrive will run again: as good as running.
      return out.status === 'PENDING_REDRIVE' ? 'RUNNING' : ((out.status ?? 'RUNNING') as ExecutionStatus);
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return 'NOT_FOUND';
      throw error;
    }
  }
}

/** The SDK names modelled errors by their AWS type; an emulator may only send `__type` (possibly namespaced). */
function errorName(error: unknown): string {
  const e = error as { name?: string; __type?: string };
  return (
    String(e.name ?? e.__type ?? '')
      .split('#')
      .pop() ?? ''
  );
}
