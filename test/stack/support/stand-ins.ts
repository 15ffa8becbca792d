/** Plaintext stand-ins for the dev stack's `secure:` placeholders: real key formats, fresh per run. */
import { generateKeyPairSync, randomBytes } from "node:crypto";

export interface DevSecrets {
  appPrivateKey: string;
  webhookSecret: string;
  sshPrivateKey: string;
}

export function generateDevSecrets(): DevSecrets {
  const app = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ssh = generateKeyPairSync("ed25519");
  return {
    // GitHub hands out App keys as PKCS#1 PEM.
    appPrivateKey: app.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    webhookSecret: randomBytes(32).toString("hex"),
    sshPrivateKey: ssh.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

export function devStandIns(secrets: DevSecrets): Record<string, string> {
  return {
    "runner-fleet:githubAppPrivateKey": secrets.appPrivateKey,
    "runner-fleet:webhookSecret": secrets.webhookSecret,
    "runner-fleet:sshPrivateKey": secrets.sshPrivateKey,
  };
}
