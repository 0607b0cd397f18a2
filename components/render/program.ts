// Renders the program a remote step sends on stdin. Nothing of a step travels in the command
// string (which the command provider echoes on failure): the command is a constant `bash -s`
// and stdin carries, in order, put-files.sh, a bundle of the files the step needs (its scripts,
// configs, certificates and keys), and the final line that runs the step's script with its
// parameters as environment variables.
//
// put-files.sh and the bundle travel gzip-compressed (then base64). The program is recorded in
// the stack's state twice per step (inputs and outputs), and Pulumi's file backends rewrite the
// whole state after every step: with the shared helpers (lib.sh, layout.sh) in every step
// uncompressed, a 3 + 10 cluster's state was 11.7 MB and writing it was most of the engine's CPU.
// Compression is fflate's (pure JavaScript, pinned): the same input gives the same bytes on every
// machine and Node.js version (Node's zlib may not), so an unchanged step never shows a diff.
//
// The bundle is two gzip streams: the host scripts, which are the same in every step that runs
// the same script (and compressed once per distinct set, here), then the step's own files. Each
// step compressing every script anew was most of a large program's evaluation, and not linear:
// 300 nodes' steps allocated gigabytes of compressor buffers and the garbage collector marked
// the whole (growing) heap again and again.

import { gunzipSync, gzipSync } from "fflate";
import { HOST_PATHS } from "../hostLayout";

export interface BundleFile {
  path: string;
  content: string;
  /** octal, e.g. "0644"; keys use "0600" */
  mode: string;
}

/** POSIX single-quote quoting: safe for any value, including newlines. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** base64 of the text (UTF-8) or bytes, in lines of 76 characters for a heredoc */
function base64Lines(content: string | Uint8Array): string {
  return (
    (typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content)).toString("base64").match(/.{1,76}/g) ?? []
  ).join("\n");
}

/** gzip (level 9, no name, time 0: deterministic) of the text, as base64 lines for a heredoc */
export function compressedLines(content: string): string {
  return base64Lines(gzipSync(Buffer.from(content, "utf8"), { level: 9, mtime: 0 }));
}

/**
 * The bundle a rendered program carries (put-files.sh's input), decompressed: for tests, and for
 * reading a step's files out of a stack's state (`pulumi stack export`).
 */
export function programBundle(program: string): string {
  const start = program.indexOf(BUNDLE_OPEN);
  const end = program.indexOf(BUNDLE_CLOSE, start);
  if (start < 0 || end < 0) throw new Error("not a kubeadm-ha step program (no bundle)");
  return program
    .slice(start + BUNDLE_OPEN.length, end)
    .split(`${MEMBER_OPEN}\n`)
    .slice(1)
    .map((member) => {
      const encoded = member.slice(0, member.indexOf("\nKHA_EOF\n"));
      return Buffer.from(gunzipSync(Buffer.from(encoded.replace(/\n/g, ""), "base64"))).toString("utf8");
    })
    .join("");
}

/** The files of a bundle (renderBundle's output): for tests, and for reading a step's files out of a state. */
export function parseBundle(bundle: string): BundleFile[] {
  const files: BundleFile[] = [];
  const lines = bundle.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const [kind, mode, path, flag] = lines[i].split(" ");
    const end = lines.indexOf("end", i + 1);
    if ((kind !== "text" && kind !== "file") || end < 0) throw new Error(`not a bundle at line ${i + 1}`);
    const body = lines.slice(i + 1, end);
    const content =
      kind === "file"
        ? Buffer.from(body.join(""), "base64").toString("utf8")
        : body
            .map((line) => `${line.slice(1)}\n`)
            .join("")
            .slice(0, flag === "-n" ? -1 : undefined);
    files.push({ path, mode, content });
    i = end;
  }
  return files;
}

function checkBundleFiles(files: BundleFile[]): void {
  const seen = new Set<string>();
  for (const file of files) {
    if (!file.path.startsWith("/") || file.path.includes("..") || /\s/.test(file.path)) {
      throw new Error(`bundle path must be absolute without spaces or '..': ${file.path}`);
    }
    if (!/^0?[0-7]{3}$/.test(file.mode)) throw new Error(`bad mode ${file.mode} for ${file.path}`);
    if (seen.has(file.path)) throw new Error(`bundle has ${file.path} twice`);
    seen.add(file.path);
  }
}

/**
 * put-files.sh's input. Text (every file kubeadm-ha writes) travels as its lines, each after a
 * '|': gzip finds the repeats of text, and of base64 hardly any (a repeat lands at another offset
 * in base64's 3-byte groups, and comes out as other characters). Content with a NUL byte, which
 * bash cannot hold, travels as base64.
 */
export function renderBundle(files: BundleFile[]): string {
  checkBundleFiles(files);
  return bundleEntries(files);
}

/** renderBundle without the checks, for files already checked */
function bundleEntries(files: BundleFile[]): string {
  return files
    .map((file) => {
      if (file.content.includes("\0")) {
        const body = base64Lines(file.content);
        return `file ${file.mode} ${file.path}\n${body}${body ? "\n" : ""}end\n`;
      }
      const lines = file.content.split("\n");
      const finalNewline = lines[lines.length - 1] === "";
      if (finalNewline) lines.pop();
      return `text ${file.mode} ${file.path}${finalNewline ? "" : " -n"}\n${lines.map((line) => `|${line}\n`).join("")}end\n`;
    })
    .join("");
}

// Compressed once per distinct content: the scripts part of bundles and put-files.sh. A set is
// known by its paths, modes and a number per distinct content: the scripts' texts are the same
// string objects in every step (readScript's cache), so looking them up does not hash 80 KB of
// text per step. The maps hold what the package's scripts are, nothing per node.
const contentIds = new Map<string, number>();
const compressedTexts = new Map<string, string>(); // by the text itself
const compressedSets = new Map<string, string>(); // by a set's key

function compressedOnce(cache: Map<string, string>, key: string, text: () => string): string {
  let lines = cache.get(key);
  if (lines === undefined) {
    lines = compressedLines(text());
    cache.set(key, lines);
  }
  return lines;
}

/** the compressed part of checked files that many steps carry alike */
function compressedFilesOnce(files: BundleFile[]): string {
  const key = files
    .map((file) => {
      let id = contentIds.get(file.content);
      if (id === undefined) {
        id = contentIds.size;
        contentIds.set(file.content, id);
      }
      return `${file.mode} ${file.path} ${id}`;
    })
    .join("\n");
  return compressedOnce(compressedSets, key, () => bundleEntries(files));
}

const BUNDLE_OPEN = "{ # the bundle: the host scripts, then the step's own files\n";
const MEMBER_OPEN = "base64 -d <<'KHA_EOF' | gzip -dc";
const BUNDLE_CLOSE = '} > "$kha_bundle"\n';

/** How long a step waits for another step on its host (render: the host lock). */
export const LOCK_WAIT_SECONDS = 1200;

export interface StepProgram {
  /** a label for logs, e.g. "etcd-install on cp-1" */
  title: string;
  putFilesScript: string;
  /** the host scripts the step carries: the same in many steps, so compressed once per distinct set */
  scripts?: BundleFile[];
  /** the step's own files (configs, certificates, keys) */
  files: BundleFile[];
  /** absolute path of the script to run once files are in place */
  run: string;
  /** the lock file held for the whole step (default: the host lock) */
  lock?: string;
  env: Record<string, string>;
}

export function renderStepProgram(step: StepProgram): string {
  const assignments = Object.entries(step.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      if (!ENV_NAME.test(name)) throw new Error(`bad environment name ${name}`);
      return `${name}=${shellQuote(value)}`;
    });
  const lock = step.lock ?? HOST_PATHS.hostLock;
  const scripts = step.scripts ?? [];
  checkBundleFiles([...scripts, ...step.files]); // a path in both parts would be written twice
  return [
    `# kubeadm-ha: ${step.title.replace(/\n/g, " ")}`,
    "set -euo pipefail",
    // one step at a time per host, across runs too: a run that was killed may have left a step
    // (a kubeadm join, say) running on; the next run's step waits for it instead of racing it.
    // Bounded: a lock held longer than any step takes is reported, not waited out forever.
    `exec 9>>${lock}`,
    `flock -n 9 || { echo "kubeadm-ha: another kubeadm-ha step is running on this host; waiting for it (at most ${LOCK_WAIT_SECONDS} s)" >&2;`,
    `  flock -w ${LOCK_WAIT_SECONDS} 9 || { echo "kubeadm-ha: ERROR: another kubeadm-ha step still holds ${lock} after ${LOCK_WAIT_SECONDS} s (see: fuser -v ${lock})" >&2; exit 1; }; }`,
    `install -d -m 0755 ${HOST_PATHS.scriptsDir}`,
    // steps run concurrently on a node: each writes its own copy of put-files.sh and renames it
    // into place, so no step ever reads a file another step is still writing
    `kha_put=$(mktemp ${HOST_PATHS.scriptsDir}/.put-files.XXXXXX)`,
    // the bundle is decompressed whole before put-files.sh writes any file of it: a corrupt
    // stream fails the step with nothing written (it holds keys: mktemp's 0600, removed on exit)
    `kha_bundle=$(mktemp ${HOST_PATHS.scriptsDir}/.bundle.XXXXXX)`,
    `trap 'rm -f "$kha_put" "$kha_bundle"' EXIT`,
    `base64 -d <<'KHA_EOF' | gzip -dc > "$kha_put"`,
    compressedOnce(compressedTexts, step.putFilesScript, () => step.putFilesScript),
    "KHA_EOF",
    `mv -f "$kha_put" ${HOST_PATHS.scriptsDir}/put-files.sh`,
    BUNDLE_OPEN.trimEnd(),
    MEMBER_OPEN,
    compressedFilesOnce(scripts),
    "KHA_EOF",
    MEMBER_OPEN,
    // half the steps (the resets, the token steps) carry no files of their own
    step.files.length ? compressedLines(bundleEntries(step.files)) : compressedFilesOnce([]),
    "KHA_EOF",
    BUNDLE_CLOSE.trimEnd(),
    `bash ${HOST_PATHS.scriptsDir}/put-files.sh < "$kha_bundle"`,
    `rm -f "$kha_bundle"`,
    `${[...assignments, "bash", step.run].join(" ")} </dev/null`,
    "",
  ].join("\n");
}
