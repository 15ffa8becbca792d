/**
 * The controllers' admin token (drain/resume) when the operator did not set one.
 *
 * Derived, not random: an HMAC of the GitHub credential and the host name is stable across
 * `pulumi up` runs without keeping extra state, differs per host (one host's token does not
 * work on another), and is unguessable to anyone who does not already hold the credential that
 * controls the whole fleet. Rotating the credential rotates the tokens.
 */
import { createHmac } from "node:crypto";
import { SecretValue } from "./secret-value.ts";

export function deriveAdminToken(credential: SecretValue, hostName: string): SecretValue {
  const token = createHmac("sha256", credential.reveal()).update(`runner-fleet/admin-token/v1/${hostName}`).digest("hex");
  return new SecretValue(token);
}
