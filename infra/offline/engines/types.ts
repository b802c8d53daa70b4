export interface EngineHealth {
  name: string;
  ok: boolean;
  detail: string;
  /** `embedded` when this process runs it; `external` when an environment variable points elsewhere. */
  mode: 'embedded' | 'external';
}

export interface Engine {
  readonly name: string;
  readonly mode: 'embedded' | 'external';
  /** Environment variables that point the services at this engine. */
  env(): Record<string, string>;
  /** Child process ids this engine owns (for orphan checks). */
  pids(): number[];
  health(): Promise<EngineHealth>;
  stop(): Promise<void>;
}
