import type { ScheduleSpec, ServiceManifest } from '../../shared/service.ts';

export interface OfflineSchedulesOptions {
  /** The offline length of one catalog minute: a schedule of `everyMinutes: n` runs every `n * minuteMs`. */
  minuteMs: number;
  run(service: ServiceManifest, schedule: ScheduleSpec): Promise<void>;
  /** How long stop() waits for the runs in progress before abandoning them (default 10 s). */
  stopWaitMs?: number;
}

export interface OfflineSchedules {
  /**
   * Starts no more runs and resolves once the runs already going have finished, so their pools can be closed after;
   * or after `stopWaitMs`, abandoning a stuck run, so the engines are still stopped before start.ts forces the exit (20 s).
   */
  stop(): Promise<void>;
}

/**
 * Runs every catalog schedule at its catalog rate on a faster clock, so their relative rates stay as deployed
 * (an hourly housekeeping runs 60 times less often than a 1-minute relay). A run still going when the next is due skips it.
 */
export function startSchedules(services: ServiceManifest[], options: OfflineSchedulesOptions): OfflineSchedules {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  for (const service of services) {
    for (const schedule of service.schedules ?? []) {
      let running = false;
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
      };
      timers.push(setInterval(tick, schedule.everyMinutes * options.minuteMs));
    }
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
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
