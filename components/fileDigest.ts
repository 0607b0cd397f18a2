// sha256 of local files (artifact binaries and image tars, hundreds of MB), remembered across runs.
// Every `pulumi up` needs each artifact's digest for the inputs of the step that installs it; reading
// ~400 MB again on each run cost a no-op `up` about 0.8 s of CPU before the first resource was sent.
// A digest is reused only while the file's device, inode, size, mtime and ctime are all unchanged:
// any write to a file moves its ctime, which no tool can set back (touch -d only sets the mtime).

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Entry {
  /** `dev:ino:size:mtimeNs:ctimeNs` when the digest was taken */
  stamp: string;
  sha256: string;
}

export interface DigestCache {
  entries: Record<string, Entry>;
  changed: boolean;
}

/** The file's identity and version as far as the kernel tells: any content write changes it. */
export function fileStamp(file: string): string {
  const s = fs.statSync(file, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** The digest from the cache when the file is the one it was taken of, else read and remembered. */
export function cachedDigest(file: string, cache: DigestCache): string {
  const key = path.resolve(file);
  const stamp = fileStamp(key);
  const hit = cache.entries[key];
  if (hit && hit.stamp === stamp) return hit.sha256;
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(key)).digest("hex");
  cache.entries[key] = { stamp, sha256 };
  cache.changed = true;
  return sha256;
}

/** the cache file: $XDG_CACHE_HOME/kubeadm-ha (else ~/.cache/kubeadm-ha), KHA_DIGEST_CACHE to override */
export function digestCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KHA_DIGEST_CACHE) return env.KHA_DIGEST_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "kubeadm-ha", "file-digests.json");
}

/** A cache that cannot be read (missing, corrupt, another format) is an empty one. */
export function loadDigestCache(file: string): DigestCache {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const entries: Record<string, Entry> = {};
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        const e = v as Partial<Entry> | null;
        if (e && typeof e.stamp === "string" && typeof e.sha256 === "string" && /^[0-9a-f]{64}$/.test(e.sha256)) {
          entries[k] = { stamp: e.stamp, sha256: e.sha256 };
        }
      }
      return { entries, changed: false };
    }
  } catch {
    // no cache yet, or one we do not trust: every digest is read again
  }
  return { entries: {}, changed: false };
}

/**
 * Writes the cache when it learned something, keeping only files that still exist (a rebuilt
 * artifact tree leaves no stale rows behind). Written to a temporary file and renamed, so a
 * concurrent reader sees the old or the new cache, never half of one. A cache that cannot be
 * written only costs the next run the reading again.
 */
export function saveDigestCache(file: string, cache: DigestCache): void {
  if (!cache.changed) return;
  const kept: Record<string, Entry> = {};
  for (const [k, v] of Object.entries(cache.entries)) if (fs.existsSync(k)) kept[k] = v;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(kept), { mode: 0o600 });
    fs.renameSync(tmp, file);
    cache.changed = false;
  } catch {
    // read-only home or full disk: correctness does not depend on the cache
  }
}
