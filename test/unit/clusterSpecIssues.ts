// The issues clusterSpec() reports for a raw config (none when it is valid), for the validators' tests.
import { clusterSpec } from "../../config/clusterSpec";
import { ConfigError, type ConfigIssue, type Raw } from "../../config/reader";

export function clusterSpecIssues(raw: Raw): ConfigIssue[] {
  try {
    clusterSpec(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}
