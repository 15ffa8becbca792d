/**
 * A secret read from stack config, kept opaque until it is handed to Pulumi as a secret Output.
 *
 * Validation needs the plaintext (is it a PEM? long enough?), but everything after validation
 * should only ever pass it to `pulumi.secret`. Wrapping it means an accidental `${value}`,
 * `JSON.stringify` or log line prints a placeholder instead of the secret.
 */
import { inspect } from "node:util";

const placeholder = "[secret]";

export class SecretValue {
  readonly #plaintext: string;

  constructor(plaintext: string) {
    this.#plaintext = plaintext;
  }

  /** The plaintext: only for `pulumi.secret(...)` and for renderers whose output is itself kept secret. */
  reveal(): string {
    return this.#plaintext;
  }

  toString(): string {
    return placeholder;
  }

  toJSON(): string {
    return placeholder;
  }

  [inspect.custom](): string {
    return placeholder;
  }
}
