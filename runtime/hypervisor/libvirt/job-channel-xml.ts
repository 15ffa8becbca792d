/** The job channel device in a domain's XML: a virtio-serial port the host reaches as a unix socket. */
import type { DomainSpec } from "../../ports/hypervisor.ts";
import { escapeXml as x } from "./xml-text.ts";

/** The guest-side name of the job channel port (the `claim` branch's runtime/protocol/job-channel.ts names it too). */
export const jobChannelName = "org.runnerfleet.job.0";

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
