// Entry point of dist/fleet.cjs.
import { runFromProcess } from "./main.ts";

runFromProcess();
