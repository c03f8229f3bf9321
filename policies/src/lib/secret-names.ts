/**
 * What a secret looks like in a Lambda environment, defined once: the program refuses such a
 * variable before deploying (infra/components/function.ts) and the pack's
 * lambda-environment-no-secrets policy reports it. Pure, no imports: both load it.
 */

/** Names that announce a secret value; `…_ARN`, `…_NAME` and friends only point at one. */
export const SECRET_NAME =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|(DATABASE|DB|ACCELERATE|POSTGRES|PG|REDIS|MONGO)_?URL|CONNECTION_?STRING)/i;
/** Suffixes of names that reference a secret instead of holding it. */
export const REFERENCE_NAME = /_(ARN|NAME|ID|PATH|PARAM|PARAMETER|KEY_ID|REF)$/i;

/** Values that are credentials whatever the variable is called, with what to call them. */
export const SECRET_VALUES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password"],
  [
    /[?&](api_key|apikey|access_token|token|password|secret)=[^&\s]+/i,
    "a URL with a credential parameter",
  ],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/, "a JSON Web Token"],
  [/\b(sk_live_|xox[abprs]-|ghp_|github_pat_)[\w-]{10,}/, "an API token"],
];

/** True when a variable's name says it holds a secret (and is not a reference to one). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !REFERENCE_NAME.test(name);
}

/** What kind of credential `value` is ("a private key", …), or undefined when it is none. */
export function secretValueKind(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return SECRET_VALUES.find(([pattern]) => pattern.test(value))?.[1];
}
