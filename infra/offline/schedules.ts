import type { ScheduleSpec, ServiceManifest } from '../../shared/service.ts';

export interface OfflineSchedulesOptions {
  /** The offline length of one catalog minute: a schedule of `everyMinutes: n` runs every `n * minuteMs`. */
  minuteMs: number;
  run(service: ServiceManifest, schedule: ScheduleSpec): Promise<void>;
  /** How long stop() waits for the runs in progress before abandoning them (default 10 s). */
  stopWaitMs?: number;
  /** Schedules that `wake(service)` also runs (the outbox relays: an event goes out right after its write, not a minute later). */
  wakeable?: (schedule: ScheduleSpec) => boolean;
  /** From a wake to its run, so a burst of writes shares one run (default 50 ms). */
  wakeDelayMs?: number;
}

export interface OfflineSchedules {
  /**
   * Starts no more runs and resolves once the runs already going have finished, so their pools can be closed after;
   * or after `stopWaitMs`, abandoning a stuck run, so the engines are still stopped before start.ts forces the exit (20 s).
   */
  stop(): Promise<void>;
  /** Runs the service's wakeable schedules soon (once for a burst of wakes; again after a run that a wake overlapped). */
  wake(service: string): void;
}

/**
 * Runs every catalog schedule at its catalog rate on a faster clock, so their relative rates stay as deployed
 * (an hourly housekeeping runs 60 times less often than a 1-minute relay). A run still going when the next is due skips it.
 * Wakeable schedules also run right after `wake`, so the interval can be slow (an idle platform stays idle) while an
 * outbox relay still follows its write within milliseconds.
 */
export function startSchedules(services: ServiceManifest[], options: OfflineSchedulesOptions): OfflineSchedules {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  const wakers = new Map<string, Array<() => void>>();
  const pendingWakes: Array<() => void> = [];
  let stopped = false;
  for (const service of services) {
    for (const schedule of service.schedules ?? []) {
      let running = false;
      let wokenWhileRunning = false;
      let wakeTimer: NodeJS.Timeout | undefined;
      const tick = async () => {
        if (running || stopped) return;
        running = true;
        let run: Promise<void> | undefined;
        try {
          run = options.run(service, schedule);
          inFlight.add(run);
          await run;
        } finally {
          if (run) inFlight.delete(run);
          running = false;
        }
        // A write that landed while this run was already past its read must not wait for the next interval.
        if (wokenWhileRunning) {
          wokenWhileRunning = false;
          wake();
        }
      };
      const wake = () => {
        if (stopped) return;
        if (running) wokenWhileRunning = true;
        else
          wakeTimer ??= setTimeout(() => {
            wakeTimer = undefined;
            void tick();
          }, options.wakeDelayMs ?? 50).unref();
      };
      timers.push(setInterval(tick, schedule.everyMinutes * options.minuteMs));
      if (options.wakeable?.(schedule)) {
        wakers.set(service.name, [...(wakers.get(service.name) ?? []), wake]);
        pendingWakes.push(() => clearTimeout(wakeTimer));
      }
    }
  }
  return {
    wake(service: string) {
      for (const wake of wakers.get(service) ?? []) wake();
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const cancel of pendingWakes) cancel();
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.stopWaitMs ?? 10_000);
      });
      try {
        await Promise.race([Promise.allSettled([...inFlight]), bound]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
