// Typed reads of raw stack config that collect every problem instead of stopping at the first.
// Each problem names the config key (as `pulumi config set` spells it) and the fix.

import { RunError } from "@pulumi/pulumi";
import type { ValueKind } from "./validators/patterns";

export const NAMESPACE = "kubeadm-ha";

export interface ConfigIssue {
  /** path of the offending key, e.g. `etcdCount` or `hosts[2].roles` */
  key: string;
  message: string;
  fix: string;
}

/**
 * A RunError: Pulumi prints its message alone, without the Node stack trace an operator has no use
 * for (the message names every key and its fix).
 */
export class ConfigError extends RunError {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${NAMESPACE}:${i.key}: ${i.message}\n    fix: ${i.fix}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export type Raw = Record<string, unknown>;

export function isObject(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export function closest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const d = distance(word.toLowerCase(), choice.toLowerCase());
    if (d < bestDistance) {
      best = choice;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export class Reader {
  readonly issues: ConfigIssue[] = [];

  fail(key: string, message: string, fix: string): void {
    this.issues.push({ key, message, fix });
  }

  /** Reports keys of `obj` outside `allowed` (typos are the most common config bug). */
  allowKeys(obj: Raw, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const full = path ? `${path}.${key}` : key;
      const hint = closest(key, allowed);
      this.fail(full, "unknown key", hint ? `did you mean '${hint}'?` : `remove it; known keys here: ${allowed.join(", ")}`);
    }
  }

  object(value: unknown, key: string): Raw {
    if (value === undefined) return {};
    if (isObject(value)) return value;
    this.fail(key, `expected an object, got ${JSON.stringify(value)}`, `set ${key} as a YAML mapping`);
    return {};
  }

  list(value: unknown, key: string): unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    this.fail(key, `expected a list, got ${JSON.stringify(value)}`, `set ${key} as a YAML list`);
    return [];
  }

  string(value: unknown, key: string, fallback: string): string;
  string(value: unknown, key: string): string | undefined;
  string(value: unknown, key: string, fallback?: string): string | undefined {
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value === "string") return value;
    if (typeof value === "number") return String(value);
    this.fail(key, `expected a string, got ${JSON.stringify(value)}`, `quote the value of ${key}`);
    return fallback;
  }

  /** A string that must be of `kind` (validators/patterns.ts); refused with what it must look like. */
  text(value: unknown, key: string, kind: ValueKind, fallback: string): string;
  text(value: unknown, key: string, kind: ValueKind): string | undefined;
  text(value: unknown, key: string, kind: ValueKind, fallback?: string): string | undefined {
    const text = this.string(value, key, fallback as string);
    if (text === undefined || kind.test(text)) return text;
    this.fail(key, `${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)} is not ${kind.what}`, `e.g. ${kind.example}`);
    // the value as given (not the fallback): a later "is required" would contradict this issue
    return text;
  }

  /** Integers arrive as numbers from YAML objects and as strings from `pulumi config set`. */
  int(value: unknown, key: string, fallback: number, min = -Infinity, max = Infinity): number {
    if (value === undefined || value === null || value === "") return fallback;
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      this.fail(key, `expected a whole number, got ${JSON.stringify(value)}`, `set ${key} to an integer`);
      return fallback;
    }
    if (n < min || n > max) {
      const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
      this.fail(key, `${n} is out of range`, `set ${key} to a value ${range}`);
      return fallback;
    }
    return n;
  }

  bool(value: unknown, key: string, fallback: boolean): boolean {
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.fail(key, `expected true or false, got ${JSON.stringify(value)}`, `set ${key} to true or false`);
    return fallback;
  }

  oneOf<T extends string>(value: unknown, key: string, choices: readonly T[], fallback: T): T;
  oneOf<T extends string>(value: unknown, key: string, choices: readonly T[]): T | undefined;
  oneOf<T extends string>(value: unknown, key: string, choices: readonly T[], fallback?: T): T | undefined {
    const text = this.string(value, key);
    if (text === undefined) {
      if (fallback === undefined) {
        this.fail(key, "is required", `set ${key} to one of: ${choices.join(", ")}`);
      }
      return fallback;
    }
    if ((choices as readonly string[]).includes(text)) return text as T;
    const hint = closest(text, choices);
    this.fail(key, `'${text}' is not supported`, `set ${key} to one of: ${choices.join(", ")}${hint ? ` (did you mean '${hint}'?)` : ""}`);
    return fallback;
  }
}
