import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { HOST_PATHS, HOST_VALUES, renderLayoutScript, shellName } from "./hostLayout";

const scriptsDir = path.join(__dirname, "scripts");

describe("host layout: one source for TypeScript and the host scripts", () => {
  it("components/scripts/layout.sh is what hostLayout.ts generates (run `npm run generate`)", () => {
    expect(fs.readFileSync(path.join(scriptsDir, "layout.sh"), "utf8")).toBe(renderLayoutScript());
  });

  it("bash reads every path under KHA_ROOT and every value as TypeScript defines it", () => {
    const names = [...Object.keys(HOST_PATHS), ...Object.keys(HOST_VALUES)].map(shellName);
    const out = spawnSync(
      "bash",
      ["-c", `source "$1"; for n in ${names.join(" ")}; do printf '%s=%s\\n' "$n" "\${!n}"; done`, "_", path.join(scriptsDir, "layout.sh")],
      {
        env: { PATH: process.env.PATH, KHA_ROOT: "/tmp/root" },
        encoding: "utf8",
      },
    );
    expect(out.status).toBe(0);
    const seen = Object.fromEntries(
      out.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    for (const [key, value] of Object.entries(HOST_PATHS)) expect(seen[shellName(key)]).toBe(`/tmp/root${value}`);
    for (const [key, value] of Object.entries(HOST_VALUES)) expect(seen[shellName(key)]).toBe(String(value));
  });

  it("no host script spells a path or name the layout defines (they read layout.sh)", () => {
    const literals = [...Object.values(HOST_PATHS), HOST_VALUES.criSocket, HOST_VALUES.proxyUnit, HOST_VALUES.podNetworkUnit];
    const offenders: string[] = [];
    for (const file of fs.readdirSync(scriptsDir).filter((f) => f.endsWith(".sh") && f !== "layout.sh")) {
      fs.readFileSync(path.join(scriptsDir, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (line.trimStart().startsWith("#")) return;
          for (const literal of literals) {
            // a literal path as a whole word (not a longer path that merely starts with it)
            if (new RegExp(`${literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`).test(line))
              offenders.push(`${file}:${i + 1}: ${literal}`);
          }
        });
    }
    expect(offenders).toEqual([]);
  });

  it("shell names are the keys in upper snake case", () => {
    expect(shellName("etcdPkiDir")).toBe("KHA_ETCD_PKI_DIR");
    expect(shellName("proxyHealthPort")).toBe("KHA_PROXY_HEALTH_PORT");
  });
});
