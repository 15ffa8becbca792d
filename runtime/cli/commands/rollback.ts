/** `fleet rollback`: routing variable to false, with the reason recorded (runtime/ops/routing-switch.ts). */
import { routingCommand } from "../../ops/routing-command.ts";

export const command = routingCommand("rollback");
