/**
 * Secrets the stack derives when the operator did not set them: the controllers' admin token
 * (drain/resume) and the coordinator's database password.
 *
 * Derived, not random: an HMAC of the GitHub credential and a purpose is stable across
 * `pulumi up` runs without keeping extra state, differs per purpose and host (one host's token
 * does not work on another), and is unguessable to anyone who does not already hold the
 * credential that controls the whole fleet. Rotating the credential rotates them.
 */
import { createHmac } from "node:crypto";
import { SecretValue } from "./secret-value.ts";

function derive(credential: SecretValue, purpose: string): SecretValue {
  return new SecretValue(createHmac("sha256", credential.reveal()).update(`runner-fleet/${purpose}`).digest("hex"));
}

export function deriveAdminToken(credential: SecretValue, hostName: string): SecretValue {
  return derive(credential, `admin-token/v1/${hostName}`);
}

export function deriveCoordinatorPassword(credential: SecretValue): SecretValue {
  return derive(credential, "coordinator-password/v1");
}
