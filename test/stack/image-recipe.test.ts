/**
 * The base image recipe: the trigger (recipe hash) changes exactly when the recipe changes, the
 * scripts are valid bash, and the runner is pinned and verified.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  cloudImageSource,
  imageFileName,
  imageRecipe,
  jitConfigFwCfgPath,
  recipeHash,
  renderBuildScript,
  renderCloudInitUserData,
  renderJitStartScript,
  renderProvisionScript,
  runnerTarballUrl,
} from "../../components/image-recipe.ts";
import type { ImageRecipe } from "../../components/image-recipe.ts";
import type { ImageSettings } from "../../components/stack-config.ts";

const settings: ImageSettings = {
  release: "bookworm",
  cloudImageVersion: "latest",
  packages: ["python3", "build-essential"],
  user: "runner",
  runnerVersion: "2.329.0",
  runnerSha256: {
    x64: "194f1e1e4bd02f80b7e9633fc546084d8d4e19f3928a324d512ea53430102e1d",
    arm64: "56768348b3d643a6a29d4ad71e9bdae0dc0ef1eb01afe0f7a8ee097b039bfaaf",
  },
  diskGiB: 20,
};

const base = imageRecipe(settings, "x64");

function bashSyntaxOk(script: string): void {
  execFileSync("bash", ["-n"], { input: script });
}

describe("the recipe hash (the rebuild trigger)", () => {
  const changes: [string, ImageRecipe][] = [
    ["release", { ...base, release: "trixie" }],
    ["cloud image version", { ...base, cloudImageVersion: "20250210-2019" }],
    ["arch", imageRecipe(settings, "arm64")],
    ["an added package", { ...base, packages: [...base.packages, "unzip"].sort() }],
    ["the runner user", { ...base, user: "ci" }],
    ["the runner version", { ...base, runner: { ...base.runner, version: "2.330.0" } }],
    ["the runner SHA-256", { ...base, runner: { ...base.runner, sha256: "0".repeat(64) } }],
    ["the disk size", { ...base, diskGiB: 40 }],
  ];

  for (const [what, changed] of changes) {
    it(`changes when ${what} changes`, () => {
      expect(recipeHash(changed)).not.toBe(recipeHash(base));
      expect(imageFileName(changed)).not.toBe(imageFileName(base));
    });
  }

  it("stays the same for an unchanged recipe, however it was written down", () => {
    const reordered = imageRecipe({ ...settings, packages: ["build-essential", "python3", "python3", "git"] }, "x64");
    expect(reordered).toEqual(base);
    expect(recipeHash(reordered)).toBe(recipeHash(base));
    const keysReversed = Object.fromEntries(Object.entries(base).reverse()) as unknown as ImageRecipe;
    expect(canonicalJson(keysReversed)).toBe(canonicalJson(base));
    expect(recipeHash(keysReversed)).toBe(recipeHash(base));
  });

  it("does not depend on the other arch's SHA-256", () => {
    const otherArchChanged = imageRecipe({ ...settings, runnerSha256: { ...settings.runnerSha256, arm64: "1".repeat(64) } }, "x64");
    expect(recipeHash(otherArchChanged)).toBe(recipeHash(base));
  });

  it("names the image by arch and hash", () => {
    expect(imageFileName(base)).toBe(`runner-base-x64-${recipeHash(base).slice(0, 16)}.qcow2`);
  });
});

describe("the build and provisioning scripts", () => {
  it("are valid bash", () => {
    for (const recipe of [base, imageRecipe(settings, "arm64")]) {
      bashSyntaxOk(renderBuildScript(recipe));
      bashSyntaxOk(renderProvisionScript(recipe));
    }
    execFileSync("sh", ["-n"], { input: renderJitStartScript(base) });
  });

  it("verify the Debian cloud image and the pinned runner before using them", () => {
    const build = renderBuildScript(base);
    const source = cloudImageSource(base);
    expect(source).toEqual({
      directoryUrl: "https://cloud.debian.org/images/cloud/bookworm/latest",
      file: "debian-12-generic-amd64.qcow2",
    });
    expect(build).toContain(`'${source.directoryUrl}/SHA512SUMS'`);
    expect(build.indexOf("sha512sum -c")).toBeLessThan(build.indexOf("qemu-img convert"));
    const provision = renderProvisionScript(base);
    expect(runnerTarballUrl(base)).toBe(
      "https://github.com/actions/runner/releases/download/v2.329.0/actions-runner-linux-x64-2.329.0.tar.gz",
    );
    expect(provision).toContain(`echo '${settings.runnerSha256.x64}  /tmp/actions-runner.tar.gz' | sha256sum -c -`);
    expect(provision.indexOf("sha256sum -c")).toBeLessThan(provision.indexOf("tar -xzf"));
  });

  it("pick dated cloud images and the arm64 firmware when asked", () => {
    const dated = cloudImageSource({ ...base, cloudImageVersion: "20250210-2019" });
    expect(dated.file).toBe("debian-12-generic-amd64-20250210-2019.qcow2");
    expect(dated.directoryUrl).toBe("https://cloud.debian.org/images/cloud/bookworm/20250210-2019");
    const arm = imageRecipe(settings, "arm64");
    expect(renderBuildScript(arm)).toContain("qemu-system-aarch64");
    expect(renderProvisionScript(arm)).toContain(settings.runnerSha256.arm64);
    expect(renderProvisionScript(arm)).toContain("echo runner-fleet-image-ok > /dev/ttyAMA0");
  });

  it("install the packages, a non-root runner user without sudo, and the one-job service", () => {
    const provision = renderProvisionScript(base);
    expect(provision).toContain(
      "apt-get install -y -q --no-install-recommends build-essential ca-certificates curl git jq python3 tar systemd-resolved",
    );
    expect(provision).toContain("useradd --create-home --shell /bin/bash --user-group runner");
    expect(provision).not.toMatch(/sudo/);
    expect(provision).toContain("systemctl enable runner-fleet-jit.service");
    expect(provision).toContain("truncate -s 0 /etc/machine-id");
    // Self-update disabled: the runner's binaries are root's, in a sticky directory.
    expect(provision).toContain("install -d -o root -g runner -m 1775 /opt/actions-runner");
    expect(provision).toContain("chown -R root:root /opt/actions-runner/bin /opt/actions-runner/externals");
  });

  it("run the job as the runner user with the JIT config from fw_cfg in its environment, never in argv", () => {
    const start = renderJitStartScript(base);
    expect(start).toContain(`config=${jitConfigFwCfgPath}`);
    expect(jitConfigFwCfgPath).toBe("/sys/firmware/qemu_fw_cfg/by_name/opt/runner-fleet/jitconfig/raw");
    expect(start).toContain(`ACTIONS_RUNNER_INPUT_JITCONFIG=$(cat "$config")\nexport ACTIONS_RUNNER_INPUT_JITCONFIG\n`);
    expect(start).toContain(`exec runuser -u runner -- ./run.sh\n`);
  });

  it("carry the provisioning script into cloud-init intact", () => {
    const userData = renderCloudInitUserData(base);
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    const encoded = /content: (\S+)/.exec(userData)![1]!;
    expect(Buffer.from(encoded, "base64").toString()).toBe(renderProvisionScript(base));
    const build = renderBuildScript(base);
    const seed = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d > user-data/.exec(build)![1]!;
    expect(Buffer.from(seed, "base64").toString()).toBe(userData);
  });

  it("refuse to write anywhere but the image directory, and do nothing if the image exists", () => {
    const build = renderBuildScript(base);
    expect(build).toContain(`case "$output" in /var/lib/libvirt/images/runner-fleet/*.qcow2) ;;`);
    expect(() =>
      execFileSync("bash", ["-s", "--", "/tmp/elsewhere.qcow2"], { input: build, stdio: ["pipe", "pipe", "pipe"] }),
    ).toThrow(/refusing output path \/tmp\/elsewhere\.qcow2/);
  });
});
