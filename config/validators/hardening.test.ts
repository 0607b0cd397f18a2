import { clusterSpec } from "../clusterSpec";
import { clusterSpecIssues } from "../../test/unit/clusterSpecIssues";
import { validateConfig } from "../validate";
import { hardeningWarnings } from "./hardening";

const issues = clusterSpecIssues;

describe("hardening: the security defaults", () => {
  it("are all on by default, with a week of audit log in 5 files of 100 MB", () => {
    expect(clusterSpec().hardening).toEqual({
      kubeletServingCerts: true,
      secretsEncryption: true,
      auditLog: true,
      anonymousAuthHealthOnly: true,
      auditLogMaxAgeDays: 7,
      auditLogMaxBackups: 5,
      auditLogMaxSizeMb: 100,
    });
    expect(hardeningWarnings(clusterSpec().hardening)).toEqual([]);
  });

  it("reads a stack's values, `pulumi config set` strings included", () => {
    const spec = clusterSpec({ hardening: { auditLog: "false", auditLogMaxAgeDays: "30", secretsEncryption: false } });
    expect(spec.hardening).toMatchObject({ auditLog: false, auditLogMaxAgeDays: 30, secretsEncryption: false, kubeletServingCerts: true });
  });

  it("is a key of the stack config too", () => {
    const config = validateConfig(
      {
        provider: "digitalocean",
        digitalocean: { region: "fra1", adminCidrs: ["203.0.113.0/24"] },
        ssh: { publicKey: "ssh-ed25519 AAAA test" },
        hardening: { anonymousAuthHealthOnly: false },
      },
      { sshPrivateKey: true },
    );
    expect(config.hardening.anonymousAuthHealthOnly).toBe(false);
  });

  it("turning one off is never silent: a warning names each key", () => {
    const off = clusterSpec({ hardening: { kubeletServingCerts: false, anonymousAuthHealthOnly: false } }).hardening;
    const warnings = hardeningWarnings(off);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^kubeadm-ha:hardening\.kubeletServingCerts is false: /);
    expect(warnings[1]).toMatch(/^kubeadm-ha:hardening\.anonymousAuthHealthOnly is false: /);
  });

  it("refuses anonymousAuthHealthOnly on 1.31, naming the key and both fixes", () => {
    const found = issues({ kubernetesVersion: "1.31.9" });
    expect(found).toEqual([
      {
        key: "hardening.anonymousAuthHealthOnly",
        message: expect.stringContaining("1.32+"),
        fix: "set hardening.anonymousAuthHealthOnly: false, or use kubernetesVersion 1.32 or newer",
      },
    ]);
    expect(issues({ kubernetesVersion: "1.31.9", hardening: { anonymousAuthHealthOnly: false } })).toEqual([]);
    expect(issues({ kubernetesVersion: "1.32.0" })).toEqual([]);
  });

  it("refuses unknown keys, wrong types and out-of-range numbers, each by its key", () => {
    const found = issues({ hardening: { auditlog: false, secretsEncryption: "yes", auditLogMaxBackups: 0, auditLogMaxSizeMb: 1.5 } });
    expect(found.map((i) => i.key).sort()).toEqual([
      "hardening.auditLogMaxBackups",
      "hardening.auditLogMaxSizeMb",
      "hardening.auditlog",
      "hardening.secretsEncryption",
    ]);
    expect(found.find((i) => i.key === "hardening.auditlog")!.fix).toBe("did you mean 'auditLog'?");
    expect(issues({ hardening: "off" }).map((i) => i.key)).toEqual(["hardening"]);
  });
});
