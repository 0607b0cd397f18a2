import { checkSecretsAreSecret } from "./load";
import { ConfigError } from "./reader";

describe("secret config keys", () => {
  const key = "kubeadm-ha:sshPrivateKey";

  it("refuses an SSH private key stored in plain text, with the fix", () => {
    try {
      checkSecretsAreSecret({ [key]: "-----BEGIN OPENSSH PRIVATE KEY-----" }, "[]");
      throw new Error("not refused");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const issue = (e as ConfigError).issues[0];
      expect(issue.key).toBe("sshPrivateKey");
      expect(issue.fix).toContain("pulumi config set --secret kubeadm-ha:sshPrivateKey");
      expect((e as Error).message).not.toContain("BEGIN OPENSSH");
    }
  });

  it("accepts it when the engine holds it as a secret (either key spelling)", () => {
    expect(() => checkSecretsAreSecret({ [key]: "x" }, JSON.stringify([key]))).not.toThrow();
    expect(() => checkSecretsAreSecret({ [key]: "x" }, JSON.stringify(["kubeadm-ha:config:sshPrivateKey"]))).not.toThrow();
  });

  it("cannot tell, and so refuses nothing, without the engine's list; nothing to refuse without the key", () => {
    expect(() => checkSecretsAreSecret({ [key]: "x" }, undefined)).not.toThrow();
    expect(() => checkSecretsAreSecret({}, "[]")).not.toThrow();
  });
});
