/** `fleet resume`: a drained host takes jobs again (see runtime/ops/drain.ts). */
import { adminCommand } from "../../ops/admin-command.ts";

export const command = adminCommand("resume");
