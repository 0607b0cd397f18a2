import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cachedDigest, digestCachePath, loadDigestCache, saveDigestCache } from "./fileDigest";

const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

describe("file digests remembered across runs", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-digest-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads a file once, then answers from the saved cache while the file is unchanged", () => {
    const file = path.join(dir, "kubelet");
    fs.writeFileSync(file, "binary v1");
    const cacheFile = path.join(dir, "cache", "digests.json");
    const first = loadDigestCache(cacheFile);
    expect(cachedDigest(file, first)).toBe(sha("binary v1"));
    saveDigestCache(cacheFile, first);

    // the next run: a digest planted in the saved cache is what comes back, so nothing was read
    const saved = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
    saved[path.resolve(file)].sha256 = "a".repeat(64);
    fs.writeFileSync(cacheFile, JSON.stringify(saved));
    const next = loadDigestCache(cacheFile);
    expect(cachedDigest(file, next)).toBe("a".repeat(64));
    expect(next.changed).toBe(false);
  });

  it("reads the file again after any write, even one that keeps its size and mtime", () => {
    const file = path.join(dir, "image.tar");
    fs.writeFileSync(file, "layer-A");
    const cache = loadDigestCache(path.join(dir, "none.json"));
    const before = cachedDigest(file, cache);
    const { atime, mtime } = fs.statSync(file);
    fs.writeFileSync(file, "layer-B"); // same size
    fs.utimesSync(file, atime, mtime); // mtime put back, as `touch -d` or a careless copy would
    expect(cachedDigest(file, cache)).toBe(sha("layer-B"));
    expect(before).toBe(sha("layer-A"));
  });

  it("a replaced file (new inode) is read again", () => {
    const file = path.join(dir, "kubeadm");
    fs.writeFileSync(file, "old");
    const cache = loadDigestCache(path.join(dir, "none.json"));
    cachedDigest(file, cache);
    fs.writeFileSync(`${file}.new`, "new");
    fs.renameSync(`${file}.new`, file);
    expect(cachedDigest(file, cache)).toBe(sha("new"));
  });

  it("ignores a corrupt or foreign cache file, and drops rows of files that are gone when saving", () => {
    const cacheFile = path.join(dir, "digests.json");
    fs.writeFileSync(cacheFile, "{not json");
    expect(loadDigestCache(cacheFile).entries).toEqual({});
    fs.writeFileSync(cacheFile, JSON.stringify({ "/x": { stamp: "1", sha256: "not-a-digest" }, "/y": [] }));
    expect(loadDigestCache(cacheFile).entries).toEqual({});

    const kept = path.join(dir, "kept");
    const gone = path.join(dir, "gone");
    fs.writeFileSync(kept, "k");
    fs.writeFileSync(gone, "g");
    const cache = loadDigestCache(path.join(dir, "none.json"));
    cachedDigest(kept, cache);
    cachedDigest(gone, cache);
    fs.rmSync(gone);
    saveDigestCache(cacheFile, cache);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile, "utf8")))).toEqual([path.resolve(kept)]);
  });

  it("lives under XDG_CACHE_HOME, else ~/.cache, unless KHA_DIGEST_CACHE names it", () => {
    expect(digestCachePath({ XDG_CACHE_HOME: "/c" })).toBe("/c/kubeadm-ha/file-digests.json");
    expect(digestCachePath({})).toBe(path.join(os.homedir(), ".cache", "kubeadm-ha", "file-digests.json"));
    expect(digestCachePath({ KHA_DIGEST_CACHE: "/t/d.json", XDG_CACHE_HOME: "/c" })).toBe("/t/d.json");
  });
});
