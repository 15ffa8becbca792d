/** `fleet drain`: a host takes no new jobs (see runtime/ops/drain.ts). */
import { adminCommand } from "../../ops/admin-command.ts";

export const command = adminCommand("drain");
