import exitHook from 'async-exit-hook';
import { describe, expect, it } from 'vitest';
import './postgres.ts';

describe('the embedded PostgreSQL engine module', () => {
  it('leaves the process exit status alone: no exit hook on beforeExit/exit, only on signals', () => {
    const hooked = exitHook.hookedEvents();
    expect(hooked).not.toContain('beforeExit');
    expect(hooked).not.toContain('exit');
    expect(hooked).toEqual(expect.arrayContaining(['SIGINT', 'SIGTERM']));
  });
});
