import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AslDefinition, substituteResources } from '../saga-definition.ts';

// aws-local-stepfunctions uses Promise.withResolvers (Node >= 22); `node` on PATH may be older than the pinned Node 24.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One event of an execution's history, in GetExecutionHistory's shape (timestamps in ms here, seconds on the wire). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** The state the event belongs to (also inside the details; kept flat for the console). */
  state?: string;
  /** Which try of a task this is: 1 first, 2 the first retry, ... (not in the AWS API; the console shows it). */
  attempt?: number;
  [details: string]: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

/** Where executions outlive the process, so a restart knows which ones it lost (the orders reconciler finishes them). */
export interface ExecutionStore {
  save(record: ExecutionRecord): Promise<void>;
  loadAll(): Promise<ExecutionRecord[]>;
}

/** One JSON file per execution, replaced atomically (write + rename). */
export function fileExecutionStore(dir: string): ExecutionStore {
  const file = (name: string) => join(dir, `${encodeURIComponent(name)}.json`);
  return {
    async save(record) {
      await mkdir(dir, { recursive: true });
      const tmp = `${file(record.name)}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(record));
      await rename(tmp, file(record.name));
    },
    async loadAll() {
      const names = await readdir(dir).catch(() => [] as string[]);
      const records: ExecutionRecord[] = [];
      for (const n of names.filter((n) => n.endsWith('.json'))) {
        try {
          records.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as ExecutionRecord);
        } catch {
          // A file cut short by a hard kill: that execution is as lost as one never written.
        }
      }
      return records;
    },
  };
}

export function memoryExecutionStore(): ExecutionStore & { records: Map<string, ExecutionRecord> } {
  const records = new Map<string, ExecutionRecord>();
  return {
    records,
    async save(record) {
      records.set(record.name, structuredClone(record));
    },
    async loadAll() {
      return [...records.values()].map((r) => structuredClone(r));
    },
  };
}

export type TaskHandler = (input: unknown) => Promise<unknown>;

/** A fault the tests inject: the next `times` tries of a task fail (or are slowed) before its handler runs. */
export interface Fault {
  state: string;
  /** How many tries it hits (default 1). */
  times?: number;
  /** `transient` (ServiceUnavailable, retried), `business` (InjectedFault, never retried) or any error name. */
  error?: string;
  /** Only this execution (order id); every execution when unset. */
  orderId?: string;
  /** Only executions whose input has this userId (a test's own customer, so parallel tests never take its faults). */
  userId?: string;
  /** Delay before the try fails, or before the real handler runs when `error` is unset (a slow task). */
  delayMs?: number;
}

export class AwsError extends Error {
  constructor(
    readonly awsType: string,
    message: string,
  ) {
    super(message);
    this.name = awsType;
  }
}

/** A task's error as Lambda hands it to Step Functions: the name is the error, the cause is the JSON Lambda reports. */
class TaskError extends Error {
  constructor(name: string, message: string) {
    super(JSON.stringify({ errorType: name, errorMessage: message }));
    this.name = name;
  }
}

interface Attempt {
  number: number;
  events: Array<Omit<HistoryEvent, 'id' | 'previousEventId'>>;
  settled: boolean;
}

interface Running {
  record: ExecutionRecord;
  abort: () => void;
  /** Tries of each task state not yet written to the history (merged in at the state's failure or exit). */
  attempts: Map<string, Attempt[]>;
  tries: Map<string, number>;
  userId?: string;
  stopDetails?: { error?: string; cause?: string };
  done: Promise<void>;
}

export interface SagaRunnerOptions {
  definition: AslDefinition;
  stateMachineName: string;
  /** Task handlers by state name (offline: the catalog's handlers through infra/offline/lambda.ts). */
  tasks: Record<string, TaskHandler>;
  store: ExecutionStore;
  /** Wait before each retry in ms, overriding the ASL's backoff (tests); the ASL's own when unset. */
  retryIntervalMs?: number;
  now?: () => number;
}

const executionArnOf = (machine: string, name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:${name}`;
export const stateMachineArnOf = (machine: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine}`;
const lambdaArnOf = (placeholder: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${placeholder}`;

/**
 * Runs the ASL file on aws-local-stepfunctions as Step Functions runs it in AWS: executions named (the order id),
 * started once per name, described, listed, stopped, each with a history of states entered and exited, task tries
 * (scheduled, succeeded, failed, timed out) with their inputs, outputs and errors.
 */
export class LocalSagaRunner {
  readonly stateMachineArn: string;
  private readonly machine: StateMachine;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Running>();
  private readonly faults: Array<Fault & { remaining: number }> = [];
  /** The save in flight per execution, and whether the record changed again meanwhile. */
  private readonly saves = new Map<string, { done: Promise<void>; again: boolean }>();
  private readonly now: () => number;
  private readonly timeouts: Map<string, number>;

  constructor(private readonly options: SagaRunnerOptions) {
    this.now = options.now ?? Date.now;
    this.stateMachineArn = stateMachineArnOf(options.stateMachineName);
    const definition = substituteResources(options.definition, lambdaArnOf);
    this.timeouts = new Map(Object.entries(definition.States).map(([n, s]) => [n, s.TimeoutSeconds ?? 60]));
    for (const [name, state] of Object.entries(definition.States))
      if (state.Type === 'Task' && !options.tasks[name]) throw new Error(`No task handler bound to saga state ${name}`);
    // Built once: validating the definition costs ~160 ms.
    this.machine = new StateMachine(definition as unknown as StateMachineDefinition);
  }

  /** Loads the executions a previous process saved; those it left RUNNING were lost with it and are marked ABORTED. */
  async restore(): Promise<ExecutionRecord[]> {
    const lost: ExecutionRecord[] = [];
    for (const record of await this.options.store.loadAll()) {
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.stopDate = this.now();
        record.error = 'States.Runtime';
        record.cause = 'The offline runtime stopped while this execution ran; the orders reconciler finishes the order';
        this.append(record, { timestamp: record.stopDate, type: 'ExecutionAborted', ...this.abortDetails(record) });
        lost.push(record);
        this.persist(record);
      }
      this.executions.set(record.name, record);
    }
    await this.flushed();
    return lost;
  }

  start(params: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: number } {
    if (params.stateMachineArn && params.stateMachineArn !== this.stateMachineArn)
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${params.stateMachineArn}'`);
    const name = params.name ?? crypto.randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const input = params.input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const existing = this.executions.get(name);
    if (existing) {
      // As Step Functions: the same name and input while it runs is the same execution; anything else is refused.
      if (existing.status === 'RUNNING' && existing.input === input)
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn: executionArnOf(this.options.stateMachineName, name),
      stateMachineArn: this.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: this.now(),
      input,
      history: [],
    };
    this.executions.set(name, record);
    this.launch(record, parsed);
    return { executionArn: record.executionArn, startDate: record.startDate };
  }

  describe(executionArn: string): Omit<ExecutionRecord, 'history'> {
    const { history: _history, ...rest } = this.find(executionArn);
    return rest;
  }

  history(executionArn: string): HistoryEvent[] {
    return this.find(executionArn).history;
  }

  list(statusFilter?: ExecutionStatus): Array<Omit<ExecutionRecord, 'history' | 'input' | 'output'>> {
    return [...this.executions.values()]
      .filter((r) => !statusFilter || r.status === statusFilter)
      .sort((a, b) => b.startDate - a.startDate || b.name.localeCompare(a.name))
      .map(({ history: _h, input: _i, output: _o, ...rest }) => rest);
  }

  get(name: string): ExecutionRecord | undefined {
    return this.executions.get(name);
  }

  stop(executionArn: string, error?: string, cause?: string): { stopDate: number } {
    const record = this.find(executionArn);
    const run = this.running.get(record.name);
    if (run) {
      run.stopDetails = { error, cause };
      run.abort();
    }
    return { stopDate: record.stopDate ?? this.now() };
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  listFaults(): Fault[] {
    return this.faults.map(({ remaining, ...f }) => ({ ...f, times: remaining }));
  }

  /** Resolves when every running execution has finished and been saved. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await this.flushed();
  }

  /** Aborts what still runs (the runtime is stopping) and waits until each is saved as ABORTED. */
  async close(): Promise<void> {
    for (const run of this.running.values()) {
      run.stopDetails = { error: 'States.Runtime', cause: 'The offline runtime stopped while this execution ran' };
      run.abort();
    }
    await this.idle();
  }

  private find(executionArn: string): ExecutionRecord {
    const name = executionArn.split(':').pop() ?? '';
    const record = this.executions.get(name);
    if (!record || record.executionArn !== executionArn)
      throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private append(record: ExecutionRecord, event: Omit<HistoryEvent, 'id' | 'previousEventId'>): void {
    const id = record.history.length + 1;
    record.history.push({ ...event, id, previousEventId: id - 1 } as HistoryEvent);
  }

  /**
   * Saves the record, one write at a time per execution. Changes made while a write runs are coalesced into one more
   * write of the latest state: only the last snapshot matters, and under load an execution used to queue a write of
   * its whole (growing) history per state.
   */
  private persist(record: ExecutionRecord): void {
    const inFlight = this.saves.get(record.name);
    if (inFlight) {
      inFlight.again = true;
      return;
    }
    const entry = { done: Promise.resolve(), again: true };
    this.saves.set(record.name, entry);
    entry.done = (async () => {
      try {
        while (entry.again) {
          entry.again = false;
          // A store that throws (even synchronously) loses that write, never the next ones.
          await Promise.resolve()
            .then(() => this.options.store.save(structuredClone(record)))
            .catch(() => {});
        }
      } finally {
        this.saves.delete(record.name);
      }
    })();
  }

  private async flushed(): Promise<void> {
    while (this.saves.size) await Promise.all([...this.saves.values()].map((s) => s.done));
  }

  private abortDetails(record: ExecutionRecord) {
    return { state: undefined, executionAbortedEventDetails: { error: record.error, cause: record.cause } };
  }

  private takeFault(state: string, run: Running): Fault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.state === state &&
        f.remaining > 0 &&
        (!f.orderId || f.orderId === run.record.name) &&
        (!f.userId || f.userId === run.userId),
    );
    if (fault) fault.remaining--;
    return fault;
  }

  /** Wraps a task handler: records the try, applies an injected fault, shapes its error as Lambda does. */
  private bind(run: Running, state: string, handler: TaskHandler) {
    return async (input: unknown) => {
      const number = (run.tries.get(state) ?? 0) + 1;
      run.tries.set(state, number);
      const attempt: Attempt = { number, events: [], settled: false };
      const attempts = run.attempts.get(state) ?? [];
      attempts.push(attempt);
      run.attempts.set(state, attempts);
      const at = { state, attempt: number };
      attempt.events.push({
        timestamp: this.now(),
        type: 'LambdaFunctionScheduled',
        ...at,
        lambdaFunctionScheduledEventDetails: {
          resource: lambdaArnOf(state),
          input: JSON.stringify(input),
          timeoutInSeconds: this.timeouts.get(state),
        },
      });
      attempt.events.push({ timestamp: this.now(), type: 'LambdaFunctionStarted', ...at });
      try {
        const fault = this.takeFault(state, run);
        if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (fault?.error) {
          const name =
            fault.error === 'transient' ? 'ServiceUnavailable' : fault.error === 'business' ? 'InjectedFault' : fault.error;
          throw new TaskError(name, `Fault injected at ${state}`);
        }
        const output = (await handler(input)) ?? null;
        attempt.events.push({
          timestamp: this.now(),
          type: 'LambdaFunctionSucceeded',
          ...at,
          lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
        });
        return output;
      } catch (error) {
        const e = error instanceof TaskError ? error : new TaskError((error as Error).name || 'Error', (error as Error).message);
        attempt.events.push({
          timestamp: this.now(),
          type: 'LambdaFunctionFailed',
          ...at,
          lambdaFunctionFailedEventDetails: { error: e.name, cause: e.message },
        });
        throw e;
      } finally {
        attempt.settled = true;
      }
    };
  }

  /** Writes a task's tries into the history in order: one per failure, the rest at the state's exit. */
  private flushAttempts(run: Running, state: string, upTo: 'one' | 'all', error?: string): void {
    const attempts = run.attempts.get(state) ?? [];
    while (attempts.length) {
      const attempt = attempts.shift()!;
      for (const e of attempt.events) this.append(run.record, e);
      if (!attempt.settled) {
        // Step Functions stopped waiting (TimeoutSeconds); whatever the handler does later is not the state's result.
        attempt.events = [];
        this.append(run.record, {
          timestamp: this.now(),
          type: 'LambdaFunctionTimedOut',
          state,
          attempt: attempt.number,
          lambdaFunctionTimedOutEventDetails: {
            error: error ?? 'States.Timeout',
            cause: 'The task did not answer within TimeoutSeconds',
          },
        });
      }
      if (upTo === 'one') return;
    }
  }

  private launch(record: ExecutionRecord, input: unknown): void {
    const userId = (input as { userId?: unknown } | null)?.userId;
    const run = {
      record,
      attempts: new Map(),
      tries: new Map(),
      userId: typeof userId === 'string' ? userId : undefined,
    } as unknown as Running;
    const tasks = Object.fromEntries(
      Object.entries(this.options.tasks).map(([state, handler]) => [state, this.bind(run, state, handler)]),
    );
    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(Object.keys(this.options.tasks).map((s) => [s, this.options.retryIntervalMs!]));
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: tasks as never, retryIntervalOverrides },
      context: { Execution: { Id: record.executionArn, Name: record.name, RoleArn: 'arn:aws:iam::000000000000:role/local' } },
    });
    run.abort = execution.abort;
    this.running.set(record.name, run);
    this.persist(record);
    run.done = (async () => {
      try {
        for await (const event of execution.eventLogs) this.record(run, event as unknown as LibraryEvent);
        await execution.result.catch((error: unknown) => {
          if (error instanceof ExecutionAbortedError || error instanceof ExecutionTimeoutError) return;
        });
      } catch (error) {
        // A throw out of the library's event stream must end this execution, never the whole runtime (unhandled rejection).
        if (record.status === 'RUNNING')
          this.finish(record, 'FAILED', { error: 'States.Runtime', cause: (error as Error)?.message ?? String(error) });
      }
      if (record.status === 'RUNNING') {
        // The library ended without a final event (should not happen): treat it as a failure, never as running forever.
        this.finish(record, 'FAILED', { error: 'States.Runtime', cause: 'The execution ended without a result' });
      }
      this.running.delete(record.name);
      this.persist(record);
    })();
  }

  private finish(record: ExecutionRecord, status: ExecutionStatus, fields: Partial<ExecutionRecord>): void {
    Object.assign(record, fields, { status, stopDate: this.now() });
  }

  private record(run: Running, event: LibraryEvent): void {
    const { record } = run;
    const ts = event.timestamp ?? this.now();
    switch (event.type) {
      case 'ExecutionStarted':
        this.append(record, {
          timestamp: ts,
          type: 'ExecutionStarted',
          executionStartedEventDetails: { input: record.input, roleArn: 'arn:aws:iam::000000000000:role/local' },
        });
        return;
      case 'StateEntered':
        this.append(record, {
          timestamp: ts,
          type: `${event.state!.type}StateEntered`,
          state: event.state!.name,
          stateEnteredEventDetails: { name: event.state!.name, input: JSON.stringify(event.state!.input) },
        });
        return;
      case 'StateFailed':
        if (event.state!.type === 'Task') this.flushAttempts(run, event.state!.name, 'one', event.Error);
        return;
      case 'StateRetried':
      case 'StateCaught':
        // The next try's own events and the next state say it; Step Functions records no event of its own for them.
        return;
      case 'StateExited':
        if (event.state!.type === 'Task') this.flushAttempts(run, event.state!.name, 'all');
        this.append(record, {
          timestamp: ts,
          type: `${event.state!.type}StateExited`,
          state: event.state!.name,
          stateExitedEventDetails: { name: event.state!.name, output: JSON.stringify(event.state!.output ?? null) },
        });
        // Saved at every step, so after a hard kill the console still shows how far the execution got.
        this.persist(record);
        return;
      case 'ExecutionSucceeded': {
        const output = JSON.stringify(event.output ?? null);
        this.finish(record, 'SUCCEEDED', { output });
        this.append(record, { timestamp: ts, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output } });
        return;
      }
      case 'ExecutionFailed': {
        const cause = typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? null);
        this.finish(record, 'FAILED', { error: event.Error, cause });
        this.append(record, {
          timestamp: ts,
          type: 'ExecutionFailed',
          executionFailedEventDetails: { error: event.Error, cause },
        });
        return;
      }
      case 'ExecutionAborted':
        this.finish(record, 'ABORTED', { error: run.stopDetails?.error, cause: run.stopDetails?.cause });
        this.append(record, { timestamp: ts, type: 'ExecutionAborted', ...this.abortDetails(record) });
        return;
      case 'ExecutionTimeout':
        this.finish(record, 'TIMED_OUT', { error: 'States.Timeout' });
        this.append(record, {
          timestamp: ts,
          type: 'ExecutionTimedOut',
          executionTimedOutEventDetails: { error: 'States.Timeout' },
        });
        return;
    }
  }
}

interface LibraryEvent {
  type: string;
  timestamp?: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}
