// Reads the stack's config (every key under `kubeadm-ha:`) and validates it as a whole.

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, NAMESPACE, Raw } from "./reader";
import { validateConfig } from "./validate";
import type { ClusterConfig } from "./types";

export interface LoadedConfig {
  config: ClusterConfig;
  /** the SSH private key, always a secret */
  sshPrivateKey: pulumi.Output<string>;
  /** the same key as plain text, for the host key check the program itself runs (never logged) */
  sshPrivateKeyText: string;
}

/** Reads a file named in config (relative to the project directory); undefined when it cannot. */
export function readConfigFile(file: string): string | undefined {
  try {
    return fs.readFileSync(path.resolve(file), "utf8");
  } catch {
    return undefined;
  }
}

/** `pulumi config set` stores text; structured values arrive as JSON text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function rawStackConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Raw {
  const raw: Raw = {};
  const prefix = `${NAMESPACE}:`;
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (key === "sshPrivateKey") continue; // a secret: only its presence is validated
    raw[key] = parseValue(text);
  }
  return raw;
}

/**
 * Refuses a secret key stored in plain text in the stack file. The language host passes the names
 * of the keys the engine holds as secrets in PULUMI_CONFIG_SECRET_KEYS; without that list (an old
 * engine) nothing can be told and nothing is refused.
 */
export function checkSecretsAreSecret(all: Record<string, string>, secretKeysJson: string | undefined): void {
  if (secretKeysJson === undefined) return;
  // (older hosts spelled keys "project:config:key")
  const secret = new Set((JSON.parse(secretKeysJson) as string[]).map((k) => k.replace(":config:", ":")));
  const key = `${NAMESPACE}:sshPrivateKey`;
  if (all[key] !== undefined && !secret.has(key)) {
    throw new ConfigError([
      {
        key: "sshPrivateKey",
        message: "is stored in plain text in the stack file",
        fix: `remove it, then: pulumi config set --secret ${key} < your-key-file`,
      },
    ]);
  }
}

export function loadConfig(): LoadedConfig {
  const all = pulumi.runtime.allConfig();
  checkSecretsAreSecret(all, process.env.PULUMI_CONFIG_SECRET_KEYS);
  const stackConfig = new pulumi.Config(NAMESPACE);
  const secretKey = stackConfig.getSecret("sshPrivateKey");
  const config = validateConfig(rawStackConfig(all), { sshPrivateKey: secretKey !== undefined, readFile: readConfigFile });
  // relative paths are relative to the project directory (where Pulumi runs the program)
  if (config.artifacts.dir) config.artifacts.dir = path.resolve(config.artifacts.dir);
  if (config.etcdSnapshots.copyTo) config.etcdSnapshots.copyTo = path.resolve(config.etcdSnapshots.copyTo);
  if (config.ssh.privateKeyFile) config.ssh.privateKeyFile = path.resolve(config.ssh.privateKeyFile);
  if (config.ssh.knownHostsFile) config.ssh.knownHostsFile = path.resolve(config.ssh.knownHostsFile);
  const file = config.ssh.privateKeyFile;
  let sshPrivateKeyText: string;
  if (secretKey) {
    // the engine hands the program its config decrypted; the Output keeps it secret from here on
    sshPrivateKeyText = all[`${NAMESPACE}:sshPrivateKey`] ?? "";
  } else {
    if (!file || !fs.existsSync(file)) {
      throw new Error(`${NAMESPACE}:ssh.privateKeyFile: ${file} does not exist (fix: point it at a readable private key file)`);
    }
    sshPrivateKeyText = fs.readFileSync(file, "utf8");
  }
  const sshPrivateKey = secretKey ?? pulumi.secret(sshPrivateKeyText);
  return { config, sshPrivateKey, sshPrivateKeyText };
}
