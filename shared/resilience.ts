import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { countMetric, gaugeMetric, logger } from './observability.ts';

/**
 * Timeout, retries with jittered backoff (transient failures only) and a circuit breaker around calls to a dependency,
 * built on cockatiel. Order: retry( breaker( timeout( call ))): every attempt has its own timeout and counts towards
 * the breaker; an open breaker fails the call at once instead of being retried.
 *
 * Metrics (`service` label): `<Dependency>BreakerState` gauge (0 closed, 1 open, 2 half-open), `<Dependency>Retries`,
 * `<Dependency>Timeouts` and `<Dependency>BreakerOpened` counts. Every breaker transition is logged.
 */
export interface ResilienceOptions {
  /** The service making the calls (the metric's service label). */
  service: string;
  /** The dependency called, in PascalCase: it prefixes the metric names (`PaymentProcessor`). */
  dependency: string;
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoff: { initialMs: number; maxMs: number };
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** Failures worth another attempt (5xx, connection errors). Timeouts always are; business answers never are. */
  isTransient: (error: unknown) => boolean;
}

/** The attempt took longer than the timeout (the dependency may still have done the work). */
export class DependencyTimeout extends Error {
  constructor(dependency: string, ms: number) {
    super(`${dependency} did not answer within ${ms} ms`);
    this.name = 'DependencyTimeout';
  }
}

/** The breaker is open: the dependency was not called. */
export class CircuitOpen extends Error {
  constructor(dependency: string) {
    super(`${dependency} circuit breaker is open`);
    this.name = 'CircuitOpen';
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';
const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export interface Resilient {
  /** Runs `call` with the policies; `signal` aborts when the attempt times out. */
  execute<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T>;
  state(): BreakerState;
}

export function resilient(options: ResilienceOptions): Resilient {
  const { service, dependency } = options;
  const transient = (error: unknown) => error instanceof TaskCancelledError || options.isTransient(error);
  const breaker = circuitBreaker(handleWhen(transient), {
    halfOpenAfter: options.breaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breaker.consecutiveFailures),
  });
  const retries = retry(handleWhen(transient), {
    maxAttempts: options.maxRetries,
    backoff: new ExponentialBackoff({
      generator: decorrelatedJitterGenerator,
      initialDelay: options.backoff.initialMs,
      maxDelay: options.backoff.maxMs,
    }),
  });
  const perAttempt = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const policy = wrap(retries, breaker, perAttempt);

  const report = (state: CircuitState) => gaugeMetric(service, `${dependency}BreakerState`, state);
  report(CircuitState.Closed);
  breaker.onStateChange((state) => report(state));
  breaker.onBreak((reason) => {
    countMetric(service, `${dependency}BreakerOpened`);
    const cause = 'error' in reason ? (reason.error as Error).message : 'isolated';
    logger.warn('circuit breaker opened', { dependency, cause });
  });
  breaker.onHalfOpen(() => logger.info('circuit breaker half-open: trying one call', { dependency }));
  breaker.onReset(() => logger.info('circuit breaker closed', { dependency }));
  retries.onRetry(({ attempt, delay }) => {
    countMetric(service, `${dependency}Retries`);
    logger.info('retrying a transient failure', { dependency, attempt, delayMs: Math.round(delay) });
  });
  perAttempt.onTimeout(() => countMetric(service, `${dependency}Timeouts`));

  return {
    async execute<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
      try {
        return await policy.execute(({ signal }) => call(signal));
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new CircuitOpen(dependency);
        if (error instanceof TaskCancelledError) throw new DependencyTimeout(dependency, options.timeoutMs);
        throw error;
      }
    },
    state: () => stateNames[breaker.state],
  };
}
