import * as pulumi from "@pulumi/pulumi";
import { deployLab } from "./components";

const config = new pulumi.Config("vnetlab");
const lab = deployLab({
    lab: config.getObject<unknown>("lab"),
    stack: pulumi.getStack(),
    tunnelSecret: (tunnel) => config.getSecret(`psk-${tunnel}`),
});

/** One row per node: role, lab addresses, container and how to get a shell in it. */
export const nodes = lab.nodes;
/** One row per tunnel: its gateways, traffic selectors and proposals. */
export const tunnels = lab.tunnels;
/** The whole plan, machine-readable; `npm run verify` reads it. */
export const manifest = lab.manifest;
