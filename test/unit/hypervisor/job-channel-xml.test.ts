import { describe, expect, it } from "vitest";
import { renderJobChannel } from "../../../runtime/hypervisor/libvirt/job-channel-xml.ts";
import { renderDomainXml } from "../../../runtime/hypervisor/libvirt/domain-xml.ts";
import { InvalidDomainSpecError } from "../../../runtime/hypervisor/spec-validation.ts";
import { diskBootSpec } from "../../support/domain-spec-fixture.ts";

const spec = diskBootSpec;

describe("renderJobChannel", () => {
  it.each([
    [undefined, []],
    [
      "/var/lib/runner-fleet/channels/rf-a.sock",
      [
        "    <channel type='unix'>",
        "      <source mode='bind' path='/var/lib/runner-fleet/channels/rf-a.sock'/>",
        "      <target type='virtio' name='org.runnerfleet.job.0'/>",
        "    </channel>",
      ],
    ],
    [
      "/tmp/it's <odd> & so.sock",
      [
        "    <channel type='unix'>",
        "      <source mode='bind' path='/tmp/it&apos;s &lt;odd&gt; &amp; so.sock'/>",
        "      <target type='virtio' name='org.runnerfleet.job.0'/>",
        "    </channel>",
      ],
    ],
  ])("%#: %j", (channel, lines) => {
    expect(renderJobChannel({ ...spec, ...(channel === undefined ? {} : { jobChannel: channel }) })).toEqual(lines);
  });

  it("sits among the domain's devices only when the spec asks for it", () => {
    expect(renderDomainXml(spec)).not.toContain("<channel");
    const xml = renderDomainXml({ ...spec, jobChannel: "/s/rf.sock" });
    expect(xml).toMatch(/<devices>[\s\S]*<channel type='unix'>[\s\S]*<\/devices>/);
  });

  it.each(["relative.sock", "/with\nnewline.sock"])("refuses the socket path %j, naming the field", (socket) => {
    const error = (() => {
      try {
        renderDomainXml({ ...spec, jobChannel: socket });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidDomainSpecError);
    expect((error as InvalidDomainSpecError).field).toBe("jobChannel");
  });
});
