import { ConfigError, loadConfig } from '../config';
import { createSecretBox } from '../services/secret-box';
import { rotateSealedValues } from '../services/secret-rotation';
import { createDb, createRepos } from '../storage';

/**
 * `npm run rotate-secrets`: re-seals every sealed value (credentials, inbound webhook signing
 * secrets, outbound webhook secrets, data source secrets) under `ENCRYPTION_KEY`, opening old ones with
 * `ENCRYPTION_KEY_PREVIOUS`, in the database the platform is configured with. Prints one line per
 * column; exits 1 when some value opens under neither key (docs/credentials.md, "Rotating the key").
 */
async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (!config.previousEncryptionKey) {
    process.stderr.write('ENCRYPTION_KEY_PREVIOUS is not set: values sealed under any other key will be reported as unreadable\n');
  }
  const db = createDb(config.database);
  try {
    const box = createSecretBox(config.encryptionKey, config.previousEncryptionKey);
    const report = await rotateSealedValues(createRepos(db).sealedValues, box);
    let unreadable = 0;
    for (const r of report) {
      if (r.missing) {
        process.stdout.write(`${r.column}: no such table, skipped\n`);
        continue;
      }
      unreadable += r.unreadable.length;
      const parts = [`${r.resealed} re-sealed`, `${r.current} already current`];
      if (r.skipped) parts.push(`${r.skipped} changed meanwhile (left as written)`);
      if (r.unreadable.length) parts.push(`${r.unreadable.length} unreadable (rows ${r.unreadable.join(', ')})`);
      process.stdout.write(`${r.column}: ${parts.join(', ')}\n`);
    }
    if (unreadable) process.stderr.write(`${unreadable} value(s) open under neither key: they stay as they are\n`);
    return unreadable ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`rotate-secrets failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
