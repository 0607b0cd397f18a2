import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { knownHostsLookup, normalizeHostKey } from "./hostKeys";

// real keys and real known_hosts files from OpenSSH's own tools
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kha-hostkeys-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
function keygen(name: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `root@${name}`, "-f", path.join(dir, name)]);
  return fs.readFileSync(path.join(dir, `${name}.pub`), "utf8").trim();
}

describe("host keys", () => {
  it("normalizes a public key line to `type base64`, refusing anything else", () => {
    const line = keygen("a");
    expect(normalizeHostKey(line)).toBe(line.split(" ").slice(0, 2).join(" "));
    expect(normalizeHostKey("ssh-dss AAAA")).toBeUndefined();
    expect(normalizeHostKey("not a key")).toBeUndefined();
  });

  it("finds keys in a known_hosts file by name and port, hashed entries included", () => {
    const a = normalizeHostKey(keygen("c"))!;
    const b = normalizeHostKey(keygen("d"))!;
    const file = path.join(dir, "known_hosts");
    fs.writeFileSync(file, ["# comment", `10.0.0.1 ${a}`, `[10.0.0.1]:2222 ${b}`, "@cert-authority * " + b, ""].join("\n"));
    let lookup = knownHostsLookup(fs.readFileSync(file, "utf8"));
    expect(lookup("10.0.0.1", 22)).toBe(a);
    expect(lookup("10.0.0.1", 2222)).toBe(b);
    expect(lookup("10.0.0.2", 22)).toBeUndefined();
    // ssh-keygen -H hashes every name, as HashKnownHosts does
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const hashed = fs.readFileSync(file, "utf8");
    expect(hashed).not.toContain("10.0.0.1");
    lookup = knownHostsLookup(hashed);
    expect(lookup("10.0.0.1", 22)).toBe(a);
    expect(lookup("10.0.0.1", 2222)).toBe(b);
    expect(lookup("10.0.0.3", 22)).toBeUndefined();
  });
});
