// The runner-fleet policy pack: `pulumi preview --policy-pack policy` (see docs/stack.md).
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies.ts";

new PolicyPack("runner-fleet", { policies });
