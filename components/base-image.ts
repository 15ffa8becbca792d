/**
 * The runner base image on one host, built there by a remote command. The recipe hash is the
 * trigger: a changed recipe builds a new image (under a new name, so VMs using the old one are
 * unaffected) and then deletes the old one; an unchanged recipe does nothing.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { imageFileName, imagePath, recipeHash, renderBuildScript } from "./image-recipe.ts";
import type { ImageRecipe } from "./image-recipe.ts";
import { componentTypes } from "./resource-types.ts";
import { shellQuote } from "./shell.ts";
import { storagePoolName } from "./host-scripts.ts";

export interface BaseImageArgs {
  connection: command.types.input.remote.ConnectionArgs;
  recipe: ImageRecipe;
}

export class BaseImage extends pulumi.ComponentResource {
  readonly path: string;
  readonly fileName: string;
  readonly recipeHash: string;

  constructor(name: string, args: BaseImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(componentTypes.baseImage, name, {}, opts);
    this.recipeHash = recipeHash(args.recipe);
    this.fileName = imageFileName(args.recipe);
    this.path = imagePath(args.recipe);
    const path = shellQuote(this.path);
    new command.remote.Command(
      name,
      {
        connection: args.connection,
        create: `bash -s -- ${path}`,
        stdin: renderBuildScript(args.recipe),
        delete: `rm -f ${path}; virsh -q -c qemu:///system pool-refresh ${storagePoolName} >/dev/null 2>&1 || true`,
        triggers: [this.recipeHash],
      },
      // Building takes minutes (download, boot, provision); give it room.
      { parent: this, customTimeouts: { create: "2h", update: "2h" } },
    );
    this.registerOutputs({
      path: this.path,
      recipeHash: this.recipeHash,
      recipe: {
        release: args.recipe.release,
        arch: args.recipe.arch,
        runnerVersion: args.recipe.runner.version,
        runnerSha256: args.recipe.runner.sha256,
        user: args.recipe.user,
      },
    });
  }
}
