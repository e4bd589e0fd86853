import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

/** Candidate locations of `scripts/temporal-cli.sh`, from source (tsx) and from the compiled `dist/` tree. */
const SCRIPT_CANDIDATES = [
  path.resolve(__dirname, '../../scripts/temporal-cli.sh'),
  path.resolve(__dirname, '../../../scripts/temporal-cli.sh'),
];

/** Absolute path of `scripts/temporal-cli.sh`, the one place that knows how to find or build the Temporal CLI. */
export function temporalCliScriptPath(): string {
  const found = SCRIPT_CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`scripts/temporal-cli.sh not found (looked in ${SCRIPT_CANDIDATES.join(', ')})`);
  return found;
}

/** Options of {@link findTemporalCli}. */
export interface FindTemporalCliOptions {
  /** Receives the script's progress lines (it may build the CLI with `go install`, which takes minutes). */
  onProgress?: (line: string) => void;
  /** Environment for the script; defaults to the current one. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Returns the absolute path of a usable Temporal CLI binary: `config.temporal.cliPath` when set,
 * otherwise whatever `scripts/temporal-cli.sh` finds (or builds).
 */
export async function findTemporalCli(
  config: { temporal: Pick<Config['temporal'], 'cliPath'> },
  options: FindTemporalCliOptions = {},
): Promise<string> {
  const configured = config.temporal.cliPath;
  if (configured) {
    const resolved = path.resolve(configured);
    try {
      fs.accessSync(resolved, fs.constants.X_OK);
    } catch {
      throw new Error(`TEMPORAL_CLI_PATH=${configured} is not an executable file`);
    }
    return resolved;
  }
  const script = temporalCliScriptPath();
  return new Promise((resolve, reject) => {
    const child = execFile(
      'bash',
      [script],
      { env: options.env ?? process.env, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const reason = stderr.trim().split('\n').pop() || error.message;
          reject(new Error(`Temporal CLI not available: ${reason}`));
          return;
        }
        const cliPath = stdout.trim();
        if (!path.isAbsolute(cliPath)) {
          reject(new Error(`scripts/temporal-cli.sh printed an unexpected path: ${JSON.stringify(cliPath)}`));
          return;
        }
        resolve(cliPath);
      },
    );
    if (options.onProgress && child.stderr) {
      const onProgress = options.onProgress;
      child.stderr.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) onProgress(line);
      });
    }
  });
}
