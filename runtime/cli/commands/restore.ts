/** `fleet restore`: routing variable back to true, refused while guard triggers are active. */
import { routingCommand } from "../../ops/routing-command.ts";

export const command = routingCommand("restore");
