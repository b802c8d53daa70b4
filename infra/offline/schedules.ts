import type { ScheduleSpec, ServiceManifest } from '../../shared/service.ts';

export interface OfflineSchedulesOptions {
  /** The offline length of one catalog minute: a schedule of `everyMinutes: n` runs every `n * minuteMs`. */
  minuteMs: number;
  run(service: ServiceManifest, schedule: ScheduleSpec): Promise<void>;
}

/**
 * Runs every catalog schedule at its catalog rate on a faster clock, so their relative rates stay as deployed
 * (an hourly housekeeping runs 60 times less often than a 1-minute relay). A run still going when the next is due skips it.
 */
export function startSchedules(services: ServiceManifest[], options: OfflineSchedulesOptions): { stop(): void } {
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  for (const service of services) {
    for (const schedule of service.schedules ?? []) {
      let running = false;
      const tick = async () => {
        if (running || stopped) return;
        running = true;
        try {
          await options.run(service, schedule);
        } finally {
          running = false;
        }
      };
      timers.push(setInterval(tick, schedule.everyMinutes * options.minuteMs));
    }
  }
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
    },
  };
}
