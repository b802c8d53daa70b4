import { afterAll, inject } from 'vitest';
import { resetConfig } from '../../shared/config.ts';
import { closeMongo } from '../../shared/db/mongo.ts';
import { closePools } from '../../shared/db/postgres.ts';

// Each integration test file sees the engines the global setup started, through the same variables a Lambda gets.
Object.assign(process.env, inject('engineEnv'));
resetConfig();

afterAll(async () => {
  await closePools();
  await closeMongo();
});
