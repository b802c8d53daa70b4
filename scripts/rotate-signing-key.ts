// Rotates the access-token signing key. The old public key stays in the JWKS for --keep-hours (default 24), so tokens
// it signed keep verifying until they expire; running containers pick the new key up within SIGNING_KEY_REFRESH_SECONDS.
//   AWS:     JWT_KEY_SECRET_ARN=arn:aws:secretsmanager:... npx tsx scripts/rotate-signing-key.ts
//   offline: DATA_DIR=.data npx tsx scripts/rotate-signing-key.ts
// After a key leak: --drop-previous, which forgets every older key at once and so signs everybody out.
import { parseArgs } from 'node:util';
import { rotateSigningKey } from '../shared/auth/keys.ts';
import { AuthConfig, keyStoreFor } from '../shared/auth/tokens.ts';
import { serviceConfig } from '../shared/config.ts';

const { values } = parseArgs({
  options: { 'keep-hours': { type: 'string', default: '24' }, 'drop-previous': { type: 'boolean', default: false } },
});
const keepHours = Number(values['keep-hours']);
const cfg = serviceConfig(AuthConfig);
// A retired key must outlive every token it signed: the token lifetime plus the time a container keeps signing with it.
const minimumHours = (cfg.ACCESS_TOKEN_TTL_SECONDS + cfg.SIGNING_KEY_REFRESH_SECONDS) / 3600;
if (!values['drop-previous'] && !(keepHours >= minimumHours)) {
  console.error(
    `--keep-hours must be at least ${minimumHours.toFixed(2)} (token lifetime plus key refresh), or use --drop-previous`,
  );
  process.exit(2);
}

try {
  const store = keyStoreFor(cfg);
  const current = await store.load();
  const next = await rotateSigningKey(current, values['drop-previous'] ? 0 : keepHours * 3600);
  await store.save(next);
  console.log(`signing key rotated: ${current.kid} -> ${next.kid}`);
  console.log(`verifying keys: ${[next.kid, ...(next.previous ?? []).map((k) => k.publicJwk.kid)].join(', ')}`);
} catch (error) {
  console.error(`rotate-signing-key failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
