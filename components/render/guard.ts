// The last check before a value is written into a host file whose format has no safe quoting of
// its own (systemd unit lines, environment files, keepalived, nginx and HAProxy configs). Config
// validation already holds every key to its kind; this holds the renderers too, so a value that
// never passed validation (a ClusterNode an embedding program built, a name from a cloud) cannot
// add a directive, a line or a shell word to a root-owned file. A value is written exactly as
// given or not at all: refusing changes no file that was valid before, so no service restarts.

/** letters, digits and the punctuation of addresses, names, URLs and image references */
const TOKEN = /^[A-Za-z0-9._:/@,=+-]{1,1024}$/;

/** `value` unchanged when it is one bare token, otherwise an error naming `what` and the value's problem. */
export function bareToken(value: string, what: string): string {
  if (TOKEN.test(value)) return value;
  const bad = [...value].find((c) => !/[A-Za-z0-9._:/@,=+-]/.test(c));
  const shown = bad === undefined ? "an empty or over-long value" : `the character ${JSON.stringify(bad)}`;
  throw new Error(`refusing to write ${what} into a host file: it holds ${shown}`);
}
