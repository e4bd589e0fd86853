import { SEALED_COLUMNS, type SealedColumn, type SealedValueRepo } from '../storage';
import type { SecretBox } from './secret-box';

/** What a rotation did to one sealed column. */
export interface ColumnRotation {
  /** `table.column`. */
  column: string;
  /** Values already sealed under the current key. */
  current: number;
  /** Values re-sealed under the current key. */
  resealed: number;
  /** Values changed by someone else while this ran (written under the current key meanwhile). */
  skipped: number;
  /** Keys of rows whose value neither configured key opens: lost unless the old key is found. */
  unreadable: string[];
  /** The table does not exist (yet) in this database. */
  missing?: true;
}

const BATCH = 200;

/**
 * Re-seals under the current key (`ENCRYPTION_KEY`) every sealed value that is not under it yet,
 * in every sealed column, so `ENCRYPTION_KEY_PREVIOUS` can be dropped afterwards. Safe while the
 * platform runs (each value is replaced only if it is still the one read) and to run again.
 */
export async function rotateSealedValues(
  store: SealedValueRepo,
  box: SecretBox,
  columns: readonly SealedColumn[] = SEALED_COLUMNS,
): Promise<ColumnRotation[]> {
  const report: ColumnRotation[] = [];
  for (const col of columns) {
    const r: ColumnRotation = { column: `${col.table}.${col.column}`, current: 0, resealed: 0, skipped: 0, unreadable: [] };
    report.push(r);
    if (!(await store.exists(col))) {
      r.missing = true;
      continue;
    }
    let after: string | undefined;
    for (;;) {
      const page = await store.page(col, after, BATCH);
      if (page.length === 0) break;
      for (const { key, value } of page) {
        if (box.isCurrent(value)) {
          r.current++;
          continue;
        }
        let plain: unknown;
        try {
          plain = box.open(value);
        } catch {
          r.unreadable.push(key);
          continue;
        }
        if (await store.replace(col, key, value, box.seal(plain))) r.resealed++;
        else r.skipped++;
      }
      after = page[page.length - 1].key;
    }
  }
  return report;
}
