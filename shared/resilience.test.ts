import { describe, expect, it, vi } from 'vitest';
import { onMetric } from './observability.ts';
import { CircuitOpen, DependencyTimeout, type ResilienceOptions, resilient } from './resilience.ts';

class Flaky extends Error {}
class Declined extends Error {}

const options = (overrides: Partial<ResilienceOptions> = {}): ResilienceOptions => ({
  service: 'test',
  dependency: 'Thing',
  timeoutMs: 50,
  maxRetries: 2,
  backoff: { initialMs: 1, maxMs: 2 },
  breaker: { consecutiveFailures: 100, halfOpenAfterMs: 60_000 },
  isTransient: (e) => e instanceof Flaky,
  ...overrides,
});

describe('resilient calls', () => {
  it('retries a transient failure and counts each retry', async () => {
    const retries = vi.fn();
    const stop = onMetric((name) => name === 'ThingRetries' && retries());
    const call = vi.fn().mockRejectedValueOnce(new Flaky()).mockRejectedValueOnce(new Flaky()).mockResolvedValue('ok');
    await expect(resilient(options()).execute(call)).resolves.toBe('ok');
    stop();
    expect(call).toHaveBeenCalledTimes(3);
    expect(retries).toHaveBeenCalledTimes(2);
  });

  it('never retries a business answer', async () => {
    const call = vi.fn().mockRejectedValue(new Declined());
    await expect(resilient(options()).execute(call)).rejects.toBeInstanceOf(Declined);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('gives up after the retries with the last failure', async () => {
    const call = vi.fn().mockRejectedValue(new Flaky());
    await expect(resilient(options()).execute(call)).rejects.toBeInstanceOf(Flaky);
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('times an attempt out, aborts its signal, and retries it', async () => {
    const signals: AbortSignal[] = [];
    const call = vi.fn((signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<never>(() => {});
    });
    await expect(resilient(options({ maxRetries: 1 })).execute(call)).rejects.toBeInstanceOf(DependencyTimeout);
    expect(call).toHaveBeenCalledTimes(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('opens after consecutive transient failures and then fails fast without calling', async () => {
    const policy = resilient(options({ maxRetries: 0, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } }));
    const call = vi.fn().mockRejectedValue(new Flaky());
    await expect(policy.execute(call)).rejects.toBeInstanceOf(Flaky);
    await expect(policy.execute(call)).rejects.toBeInstanceOf(Flaky);
    expect(policy.state()).toBe('open');
    await expect(policy.execute(call)).rejects.toBeInstanceOf(CircuitOpen);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('business answers do not count towards opening the breaker', async () => {
    const policy = resilient(options({ maxRetries: 0, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } }));
    for (let i = 0; i < 5; i++)
      await expect(policy.execute(() => Promise.reject(new Declined()))).rejects.toBeInstanceOf(Declined);
    expect(policy.state()).toBe('closed');
  });
});
