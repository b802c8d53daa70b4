import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineService, type ScheduleSpec } from '../../shared/service.ts';
import { startSchedules } from './schedules.ts';

const service = (schedules: ScheduleSpec[]) =>
  defineService({ name: 'users', description: '', stores: {}, routes: [], schedules });
const relayOnly = service([{ name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' }]);

describe('startSchedules', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs each schedule every `everyMinutes` offline minutes, so an hourly one runs 60 times less often', async () => {
    vi.useFakeTimers();
    const users = service([
      { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
      { name: 'housekeeping', everyMinutes: 60, handler: 'handlers/housekeeping' },
    ]);
    const runs: Record<string, number> = { 'outbox-relay': 0, housekeeping: 0 };
    const schedules = startSchedules([users], {
      minuteMs: 2_000,
      run: async (_service, schedule) => {
        runs[schedule.name]! += 1;
      },
    });
    try {
      await vi.advanceTimersByTimeAsync(2 * 60 * 2_000);
      expect(runs).toEqual({ 'outbox-relay': 120, housekeeping: 2 });
    } finally {
      await schedules.stop();
    }
    await vi.advanceTimersByTimeAsync(60 * 2_000);
    expect(runs).toEqual({ 'outbox-relay': 120, housekeeping: 2 });
  });

  it('stop() resolves only once the run in progress has finished, and starts no run after', async () => {
    vi.useFakeTimers();
    const events: string[] = [];
    let finishRun: () => void = () => {};
    const schedules = startSchedules([relayOnly], {
      minuteMs: 1_000,
      run: () => {
        events.push('run started');
        return new Promise<void>((resolve) => {
          finishRun = () => {
            events.push('run finished');
            resolve();
          };
        });
      },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['run started']);

    // Wrapped so a stop() that returns nothing fails on the order below, not on a TypeError.
    const stopped = Promise.resolve(schedules.stop()).then(() => events.push('stopped'));
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['run started']);

    finishRun();
    await stopped;
    expect(events).toEqual(['run started', 'run finished', 'stopped']);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(['run started', 'run finished', 'stopped']);
  });

  it('stop() resolves after its bound when a run never finishes, abandoning it', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const schedules = startSchedules([relayOnly], {
      minuteMs: 1_000,
      stopWaitMs: 10_000,
      run: () => {
        runs += 1;
        return new Promise<void>(() => {});
      },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(1);

    let stopped = false;
    const stopping = Promise.resolve(schedules.stop()).then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(true);
    await stopping;
    expect(runs).toBe(1);
  });

  it('wake runs the wakeable schedules of that service once for a burst, long before their interval', async () => {
    vi.useFakeTimers();
    const users = service([
      { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
      { name: 'housekeeping', everyMinutes: 60, handler: 'handlers/housekeeping' },
    ]);
    const runs: string[] = [];
    const schedules = startSchedules([users], {
      minuteMs: 60_000,
      wakeDelayMs: 50,
      wakeable: (s) => s.name === 'outbox-relay',
      run: async (svc, schedule) => {
        runs.push(`${svc.name}.${schedule.name}`);
      },
    });
    try {
      schedules.wake('users');
      schedules.wake('users');
      schedules.wake('products');
      await vi.advanceTimersByTimeAsync(49);
      expect(runs).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toEqual(['users.outbox-relay']);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(runs).toEqual(['users.outbox-relay']);
    } finally {
      await schedules.stop();
    }
  });

  it('a wake during a run runs it once more after, so a write committed behind its read is not left for the interval', async () => {
    vi.useFakeTimers();
    let finishRun: () => void = () => {};
    let runs = 0;
    const schedules = startSchedules([relayOnly], {
      minuteMs: 60_000,
      wakeDelayMs: 50,
      wakeable: () => true,
      run: () => {
        runs += 1;
        return new Promise<void>((resolve) => {
          finishRun = resolve;
        });
      },
    });
    try {
      schedules.wake('users');
      await vi.advanceTimersByTimeAsync(50);
      expect(runs).toBe(1);
      schedules.wake('users');
      schedules.wake('users');
      await vi.advanceTimersByTimeAsync(1_000);
      expect(runs).toBe(1);
      finishRun();
      await vi.advanceTimersByTimeAsync(50);
      expect(runs).toBe(2);
      finishRun();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(runs).toBe(2);
    } finally {
      await schedules.stop();
    }
  });

  it('a schedule that is not wakeable, or a stopped one, is not run by wake', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const schedules = startSchedules([relayOnly], {
      minuteMs: 60_000,
      run: async () => {
        runs += 1;
      },
    });
    schedules.wake('users');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(0);
    await schedules.stop();

    const woken = startSchedules([relayOnly], {
      minuteMs: 60_000,
      wakeable: () => true,
      run: async () => {
        runs += 1;
      },
    });
    await woken.stop();
    woken.wake('users');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(0);
  });
});
