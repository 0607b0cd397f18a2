// Locates and reads the host scripts shipped in components/scripts (also from the built package).

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { renderStepProgram } from "./render/program";

const CANDIDATES = [path.join(__dirname, "scripts"), path.join(__dirname, "..", "..", "components", "scripts")];

export const SCRIPTS_SOURCE_DIR = CANDIDATES.find((dir) => fs.existsSync(path.join(dir, "put-files.sh"))) ?? CANDIDATES[0];

const cache = new Map<string, string>();

export function readScript(name: string): string {
  let content = cache.get(name);
  if (content === undefined) {
    content = fs.readFileSync(path.join(SCRIPTS_SOURCE_DIR, name), "utf8");
    cache.set(name, content);
  }
  return content;
}

/**
 * One digest of every host script and of the form a step carries them in: a new release of this
 * package changes it, and with it the stdin of every step, so every step runs once more on every
 * host. The program compares it with the previous deployment's to say so in the preview. (A step
 * program of fixed content stands for the form: a release that only changes how programs are
 * rendered, compressed say, changes every step's stdin too.)
 */
export function hostScriptsDigest(): string {
  const hash = crypto.createHash("sha256");
  hash.update(renderStepProgram({ title: "form", putFilesScript: "#\n", files: [], run: "/form.sh", env: { KHA_FORM: "1" } }));
  for (const name of fs
    .readdirSync(SCRIPTS_SOURCE_DIR)
    .filter((f) => f.endsWith(".sh"))
    .sort()) {
    hash.update(`${name}\n`).update(readScript(name));
  }
  return hash.digest("hex").slice(0, 16);
}
