/**
 * A local stand-in for AWS Secrets Manager: an in-memory store the test changes (e.g. in the
 * middle of a rotation), behind the same `SecretSource` interface the handlers use in Lambda.
 * It stands in for the secret store only; the database behind the secret is always real.
 */
import type { SecretSource } from "../../handlers/lib/secrets";

export class InMemorySecretSource implements SecretSource {
  readonly #values = new Map<string, string>();
  /** Every read, in order (`forced` = the caller bypassed caches). */
  readonly reads: Array<{ id: string; forced: boolean }> = [];

  set(id: string, value: string | object): void {
    this.#values.set(id, typeof value === "string" ? value : JSON.stringify(value));
  }

  async getSecret(id: string, options: { forceFetch?: boolean } = {}): Promise<string> {
    this.reads.push({ id, forced: options.forceFetch ?? false });
    const value = this.#values.get(id);
    if (value === undefined)
      throw new Error(`Secrets Manager can't find the specified secret (${id}).`);
    return value;
  }
}
