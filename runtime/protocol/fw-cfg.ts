/**
 * Where the JIT config reaches a guest: the fw_cfg entry the controller attaches, and the file
 * the guest kernel's qemu_fw_cfg module exposes it as (readable by root only).
 */
export const jitConfigFwCfgName = "opt/runner-fleet/jitconfig";
export const jitConfigSysfsPath = `/sys/firmware/qemu_fw_cfg/by_name/${jitConfigFwCfgName}/raw`;
