// Every stack file shipped in the repository must pass validation, so examples never rot.

import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { validateConfig } from "../../config/validate";

const TEST_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWaQ0v1qJ1tK3c8lq2bZ1nN8JxSqCq0b4mYJt0xZ3y";
const root = path.join(__dirname, "..", "..");
const e2eDir = path.join(root, "test", "e2e", "stacks");
const stacks = [
  ...fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f)),
  ...fs.readdirSync(e2eDir).map((f) => path.relative(root, path.join(e2eDir, f))),
];

describe("shipped stack files", () => {
  it("exist for dev, digitalocean and aws", () => {
    expect(stacks).toEqual(expect.arrayContaining(["Pulumi.dev.yaml", "Pulumi.digitalocean.yaml", "Pulumi.aws.yaml"]));
  });

  it.each(stacks)("%s validates", (file) => {
    const doc = parse(fs.readFileSync(path.join(root, file), "utf8")) as { config: Record<string, unknown> };
    const raw = Object.fromEntries(
      Object.entries(doc.config)
        .filter(([k]) => k.startsWith("kubeadm-ha:"))
        .map(([k, v]) => [k.slice("kubeadm-ha:".length), v]),
    );
    // stacks without ssh.privateKeyFile expect `pulumi config set --secret sshPrivateKey`
    const keyFile = (raw.ssh as { privateKeyFile?: string } | undefined)?.privateKeyFile;
    // ssh.knownHostsFile names the lab's file (written by `lab.sh up`): stand in one listing every host
    const hosts = (raw.hosts as { address: string }[] | undefined) ?? [];
    const knownHosts = hosts.map((h) => `${h.address} ${TEST_HOST_KEY}\n`).join("");
    expect(() => validateConfig(raw, { sshPrivateKey: !keyFile, readFile: () => knownHosts })).not.toThrow();
  });
});
