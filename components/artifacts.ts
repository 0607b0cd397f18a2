// Air-gapped artifacts: copies local files (binaries, image tars) to a node's
// /opt/kubeadm-ha/artifacts before the scripts that install them run. With
// `artifacts.source: release` nothing is copied and the scripts download instead.

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { ArtifactsConfig } from "../config/types";
import type { ClusterNode } from "../providers/node";
import { HOST_PATHS } from "./hostLayout";
import { cachedDigest, digestCachePath, loadDigestCache, saveDigestCache, type DigestCache } from "./fileDigest";

export interface LocalArtifact {
  /** absolute path on the machine running Pulumi */
  source: string;
  /** path under HOST_PATHS.artifactsDir, e.g. "bin/kubelet" */
  target: string;
}

/** The local binaries named, as found under artifacts.dir/bin; a clear error names any missing one. */
export function localBinaries(artifacts: ArtifactsConfig, names: string[]): LocalArtifact[] {
  if (artifacts.source !== "local" || !artifacts.dir) return [];
  return names.map((name) => {
    const source = path.join(artifacts.dir!, "bin", name);
    if (!fs.existsSync(source)) {
      throw new Error(
        `kubeadm-ha:artifacts.dir: ${source} is missing (fix: put the ${name} binary there, or use artifacts.source: release)`,
      );
    }
    return { source, target: `bin/${name}` };
  });
}

/** Image tars imported on every Kubernetes node: artifacts.images, or every *.tar in dir/images. */
export function localImages(artifacts: ArtifactsConfig): LocalArtifact[] {
  if (artifacts.source !== "local" || !artifacts.dir) return [];
  const dir = path.join(artifacts.dir, "images");
  const names =
    artifacts.images.length > 0
      ? artifacts.images
      : fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".tar"))
            .sort()
        : [];
  return names.map((name) => {
    const source = path.isAbsolute(name) ? name : path.join(dir, name);
    if (!fs.existsSync(source)) {
      throw new Error(`kubeadm-ha:artifacts.images: ${source} is missing (fix: build or copy the image tar there)`);
    }
    return { source, target: `images/${path.basename(source)}` };
  });
}

let cache: DigestCache | undefined;

function digestOf(file: string): string {
  const cacheFile = digestCachePath();
  cache ??= loadDigestCache(cacheFile);
  const digest = cachedDigest(file, cache);
  saveDigestCache(cacheFile, cache);
  return digest;
}

/**
 * A directory as a Pulumi archive that carries the given hash (the digest of its files' contents).
 * The engine takes an archive's `hash` when one is sent (the state records the same field) and
 * otherwise reads every file in it again on every `up`: the same binaries and image tars for every
 * node, about 2 GB of reading on each no-op `up` of five nodes. The Node SDK sends every own key
 * of an archive object, so the hash goes along; an SDK that stopped sending it would only make the
 * engine read the files again (components/artifacts.test.ts checks what is sent).
 */
export function hashedArchive(dir: string, hash: string): pulumi.asset.FileArchive {
  const archive = new pulumi.asset.FileArchive(dir);
  Object.defineProperty(archive, "hash", { value: hash, enumerable: true });
  return archive;
}

/**
 * sha256 of the artifacts' contents, for a step's inputs: a rebuilt binary or image tar changes
 * it, so the step that installs them runs again. Each file's digest is remembered across runs
 * (components/fileDigest.ts) while the file is unchanged.
 */
export function artifactsDigest(items: LocalArtifact[]): string {
  const hash = crypto.createHash("sha256");
  for (const item of items) hash.update(`${item.target}=${digestOf(item.source)}\n`);
  return hash.digest("hex");
}

/** the stage roots already pruned in this run (once each) */
const pruned = new Set<string>();

/**
 * The directory a set of artifacts is copied from: under the digest cache's folder, named by the
 * set (targets and local paths), holding a symbolic link per artifact at its target path
 * (bin/kubelet -> the local file). The same set always gets the same directory, so the copy's
 * inputs stay the same from one `up` to the next. Links are (re)made when missing or pointing
 * elsewhere.
 */
export function stageArtifacts(items: LocalArtifact[], root = path.join(path.dirname(digestCachePath()), "stage")): string {
  if (!pruned.has(root)) {
    pruned.add(root);
    pruneStages(root);
  }
  const resolved = items.map((item) => ({ target: item.target, source: path.resolve(item.source) }));
  const key = crypto.createHash("sha256");
  for (const { target, source } of resolved) key.update(`${target}=${source}\n`);
  const dir = path.join(root, key.digest("hex").slice(0, 24));
  for (const { target, source } of resolved) {
    const link = path.join(dir, target);
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current === source) continue;
    const failure = makeLink(source, link);
    if (failure) {
      throw new Error(
        `kubeadm-ha:artifacts: cannot stage ${target} for its copy in ${dir}: ${failure.message} ` +
          "(fix: make that folder writable, or point XDG_CACHE_HOME or KHA_DIGEST_CACHE at a writable place)",
      );
    }
  }
  return dir;
}

/** (re)makes a symbolic link; the error when it cannot */
function makeLink(source: string, link: string): Error | undefined {
  try {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true });
    fs.symlinkSync(source, link);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/** Drops staged directories with a link to a file that is gone (another artifacts folder, since deleted). */
export function pruneStages(root: string): void {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root);
  } catch {
    return;
  }
  const dangling = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return dangling(p);
      return e.isSymbolicLink() && !fs.existsSync(p);
    });
  for (const name of dirs) {
    const dir = path.join(root, name);
    if (dangling(dir)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A node's artifacts as one copy: the staged directory (stageArtifacts) sent as one archive into
 * HOST_PATHS.artifactsDir, carrying the digest of the files' contents as its hash (hashedArchive).
 * One copy per node and not one per file: the engine runs 4 operations per CPU at once, and with
 * 11 copies per node the etcd binaries and the first control plane's files waited behind every
 * worker's image tars (in the lab's 3 + 2, `kubeadm init` started 12 s later than with no such
 * limit); each resource also costs a state checkpoint and an SSH login. Any changed file copies
 * the node's whole set again (rare: a new Kubernetes version changes most of them anyway).
 */
export function copyArtifacts(
  name: string,
  node: ClusterNode,
  items: LocalArtifact[],
  opts: pulumi.CustomResourceOptions,
): command.remote.CopyToRemote[] {
  if (items.length === 0) return [];
  // a trailing "/": the directory's contents land in remotePath (not remotePath/<its name>)
  const source = hashedArchive(`${stageArtifacts(items)}/`, artifactsDigest(items));
  return [
    new command.remote.CopyToRemote(
      `${name}-artifacts`,
      {
        connection: node.connection,
        source,
        remotePath: HOST_PATHS.artifactsDir,
        // A copy runs again only when a file changed, not when the connection did. A host given
        // back reinstalled (a new host key) or a replaced VM (a new address) has none of it: copy anew.
        triggers: [node.connection.host, node.connection.hostKey ?? ""],
      },
      opts,
    ),
  ];
}

/** image tars only control planes run (kubeadm's names: kube-apiserver_v1.34.1.tar, ...) */
const CONTROL_PLANE_IMAGES = /^kube-(apiserver|controller-manager|scheduler)[_:-]/;

/**
 * The image tars a node gets: the control-plane images only on control planes (on a worker they
 * would be copied and imported for nothing, the largest of the set); every other image everywhere.
 */
export function imagesForRoles(images: LocalArtifact[], roles: readonly string[]): LocalArtifact[] {
  if (roles.includes("control-plane")) return images;
  return images.filter((i) => !CONTROL_PLANE_IMAGES.test(i.target.split("/").pop() ?? ""));
}
