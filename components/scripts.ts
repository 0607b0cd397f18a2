// Locates and reads the host scripts shipped in components/scripts (also from the built package).

import * as fs from "fs";
import * as path from "path";

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
