// SSH host keys (pure): the `type base64` form every connection pins, and lookups in a
// known_hosts file (plain or hashed entries), so an operator's known_hosts can pin a whole inventory.

import * as crypto from "crypto";

const KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com) ([A-Za-z0-9+/]+={0,3})(?:\s.*)?$/;

/** `type base64` without the comment, or undefined when the text is not an OpenSSH public key. */
export function normalizeHostKey(text: string): string | undefined {
  const match = KEY.exec(text.trim());
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** How known_hosts names a host: the bare name on port 22, `[host]:port` elsewhere. */
function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  matches: (name: string) => boolean;
  key: string;
}

function hashedMatcher(pattern: string): ((name: string) => boolean) | undefined {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = pattern.split("|");
  if (parts.length !== 4 || parts[1] !== "1") return undefined;
  const salt = Buffer.from(parts[2], "base64");
  return (name) => crypto.createHmac("sha1", salt).update(name).digest("base64") === parts[3];
}

function parseLine(line: string): Entry | undefined {
  const trimmed = line.trim();
  if (!trimmed || trimmed.startsWith("#")) return undefined;
  // @cert-authority and @revoked lines are not a host's own key: ignored rather than half-understood
  if (trimmed.startsWith("@")) return undefined;
  const [patterns, ...rest] = trimmed.split(/\s+/);
  const key = normalizeHostKey(rest.join(" "));
  if (!key) return undefined;
  if (patterns.startsWith("|")) {
    const matcher = hashedMatcher(patterns);
    return matcher ? { matches: matcher, key } : undefined;
  }
  // comma-separated names; wildcards and negations are OpenSSH features a pin should not rely on
  const names = patterns.split(",").filter((p) => !/[*?!]/.test(p));
  return { matches: (name) => names.includes(name), key };
}

/** Parses known_hosts content into a lookup: the host's keys, ed25519 first. */
export function knownHostsLookup(content: string): (host: string, port: number) => string | undefined {
  const entries = content
    .split("\n")
    .map(parseLine)
    .filter((e): e is Entry => e !== undefined);
  return (host, port) => {
    const name = knownHostsName(host, port);
    const keys = entries.filter((e) => e.matches(name)).map((e) => e.key);
    return keys.find((k) => k.startsWith("ssh-ed25519 ")) ?? keys[0];
  };
}
