// IPv4 address and CIDR arithmetic, just what the config checks and SAN maths need.
//
// Why not a library: we need parse / contains / overlap / nth-address on IPv4 only, about fifty
// lines; a dependency (ip-address, netmask, ...) would add more surface than it removes. The
// cluster is IPv4 single-stack by design (kubeadm dual-stack is out of scope), so IPv6 input is
// rejected by the validator with a clear message rather than half supported here.

export interface Cidr {
  /** network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
  /** the text as given, for messages */
  text: string;
}

/** Parses dotted-quad IPv4; returns undefined for anything else (no leading zeros, 0-255 each). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Parses "a.b.c.d/n". The address must be the network address (no host bits set). */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const base = parseIpv4(match[1]);
  const prefix = Number(match[2]);
  if (base === undefined || prefix > 32) return undefined;
  if (base % blockSize(prefix) !== 0) return undefined;
  return { base, prefix, text };
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + blockSize(cidr.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + blockSize(a.prefix);
  const bEnd = b.base + blockSize(b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

/** The n-th address of a block: n = 1 is the first service IP (the `kubernetes` service). */
export function nthAddress(cidr: Cidr, n: number): string {
  if (n < 0 || n >= blockSize(cidr.prefix)) {
    throw new Error(`${cidr.text} has no address number ${n}`);
  }
  return formatIpv4(cidr.base + n);
}

/** Splits a block into 2^bits equal sub-blocks and returns the index-th one. */
export function subnet(cidr: Cidr, bits: number, index: number): string {
  const prefix = cidr.prefix + bits;
  if (prefix > 32 || index < 0 || index >= 2 ** bits) {
    throw new Error(`${cidr.text} cannot be split into sub-block ${index} of /${prefix}`);
  }
  return `${formatIpv4(cidr.base + index * blockSize(prefix))}/${prefix}`;
}
