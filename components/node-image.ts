import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import type { LabPlan } from "../plan/types";
import { PROJECT_DIR } from "../model/stack-file";

/** Where the node image's Dockerfile and programs are, relative to the project. */
export const NODE_IMAGE_CONTEXT = "image";

/**
 * A digest of every file of a build context: relative path, mode and content,
 * in code-unit order. The Terraform provider's image build does not look into
 * its context, so this is what tells it (through `triggers`) that a changed
 * Dockerfile or start program needs a new image.
 */
export function contextDigest(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (relative: string): void => {
        const entries = fs.readdirSync(path.join(dir, relative), { withFileTypes: true })
            .map((e) => e.name)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        for (const name of entries) {
            const file = path.posix.join(relative, name);
            const stat = fs.statSync(path.join(dir, file));
            if (stat.isDirectory()) {
                walk(file);
            } else {
                hash.update(`${file}\0${(stat.mode & 0o777).toString(8)}\0${stat.size}\0`);
                hash.update(fs.readFileSync(path.join(dir, file)));
            }
        }
    };
    walk("");
    return `sha256:${hash.digest("hex")}`;
}

/**
 * The node image every container of a lab runs, built on the Docker host by
 * the provider. Kept on destroy: other labs run the same image, and the next
 * `up` finds it in the build cache. Containers take its `imageId`, the full
 * `sha256:` id, which is what the provider reads back: a rebuilt image
 * replaces them, an unchanged one does not.
 */
export function nodeImage(name: string, image: LabPlan["image"], opts: pulumi.CustomResourceOptions = {}): docker.RemoteImage {
    return new docker.RemoteImage(name, {
        name: image.name,
        keepLocally: true,
        triggers: { context: contextDigest(path.join(PROJECT_DIR, NODE_IMAGE_CONTEXT)) },
        build: {
            // Relative, so that the state does not depend on where the project is checked out;
            // the provider runs in the project directory.
            context: NODE_IMAGE_CONTEXT,
            networkMode: image.buildNetwork,
        },
    }, opts);
}
