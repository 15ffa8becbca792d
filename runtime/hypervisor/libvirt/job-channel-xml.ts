/**
 * The job channel device in a domain's XML: a virtio-serial port the host reaches as a unix
 * socket. With `mode='bind'` libvirtd (root) creates the socket, chowns it to QEMU's user and
 * hands QEMU the descriptor, so the socket's directory can be root-only (0700): root's controller
 * connects, QEMU never needs to enter it, nobody else can. libvirt removes the socket when the
 * domain stops.
 */
import type { DomainSpec } from "../../ports/hypervisor.ts";
import { jobChannelName } from "../../protocol/job-channel.ts";
import { escapeXml as x } from "./xml-text.ts";

export { jobChannelName };

/** The job channel device of a domain with `spec.jobChannel` (a unix socket libvirt creates at start). */
export function renderJobChannel(spec: DomainSpec): string[] {
  if (spec.jobChannel === undefined) return [];
  return [
    `    <channel type='unix'>`,
    `      <source mode='bind' path='${x(spec.jobChannel)}'/>`,
    `      <target type='virtio' name='${jobChannelName}'/>`,
    `    </channel>`,
  ];
}
