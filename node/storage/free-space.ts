// Free disk space against the storage cap (fs.statfs): a node that promises a cap its disk
// cannot hold fails challenges for what it cannot download; better a clear stop at start.

import { statfs } from "node:fs/promises";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes } from "../../protocol/format.ts";
import { CliError } from "../errors.ts";

/** Bytes of the files under `dir` (what the node already holds counts towards its cap). */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await bytesUnder(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Throws a CliError naming both figures when the disk cannot hold the cap. */
export async function checkRoomForCap(dataDir: string, storageCap: number): Promise<{ free: number; held: number }> {
  const [free, held] = await Promise.all([freeBytes(dataDir), bytesUnder(dataDir)]);
  if (free + held < storageCap) {
    throw new CliError(
      `the disk holding ${dataDir} has ${formatBytes(free)} free and ${formatBytes(held)} already hosted, less than the storage cap of ${formatBytes(storageCap)}: ` +
        `free some space or lower the cap with "vidya node init --storage-cap SIZE"`,
    );
  }
  return { free, held };
}

/** An error from running out of disk space (ENOSPC, or EDQUOT for a quota). */
export function isDiskFull(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return err?.code === "ENOSPC" || err?.code === "EDQUOT" || /\bENOSPC\b|\bEDQUOT\b|no space left on device/i.test(err?.message ?? "");
}
