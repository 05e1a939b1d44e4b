// The files a node needs, rendered from the lab plan (and its keys and PSKs
// derived from the stack's seed). Pure: no I/O, no clock, no randomness; the
// same plan and seed give byte-identical files. Components copy them into the
// container before its first start, all in one bundle (file-bundle.ts) that
// the image unpacks. They are data and configs only: the programs that act on
// them (image/vnetlab-unpack, image/vnetlab-start) are in the image.
import type { LabPlan, NodePlan } from "../plan/types";
import { renderFirewall } from "./firewall";
import { renderNodeConf } from "./node-conf";
import { DATAPLANES, FIREWALL_FILES, NODE_CONF, NODE_JSON, SECRETS_CONF, SWANCTL_CONF, strongswanConfPath } from "./paths";
import { renderStrongswanConf } from "./strongswan";
import { renderSecretsConf, renderSwanctlConf, runsIke } from "./swanctl";
import { fileText } from "./text";
import type { NodeFile } from "./node-file";

export type { NodeFile } from "./node-file";

export * from "./paths";
export { renderFirewall } from "./firewall";
export { renderFileBundle, parseFileBundle, FILE_BUNDLE_FORMAT } from "./file-bundle";
export { renderNodeConf, nodeConfRecords, NodeConfRecord, NODE_CONF_FORMAT, IKE_RULE_PREF } from "./node-conf";
export { renderStrongswanConf, charonPlugins, RETRANSMIT, RETRANSMIT_GIVE_UP_SECONDS } from "./strongswan";
export { renderCredentialFiles, renderPrivateKeyFile, GatewayCredentials } from "./credentials";
export { signCrl } from "./crl";
export { derivePki, gatewayCredentials, LabPki } from "./pki";
export { derivePsk, PSK_LENGTH } from "./psk";
export { renderSwanctlConf, renderSecretsConf, gatewayTunnels, dials, startAction, swanctlSecret, runsIke, poolName, DPD_DELAY_SECONDS } from "./swanctl";

/** Every file of a node except its secrets, sorted by path. */
export function renderNodeFiles(node: NodePlan, lab: LabPlan): NodeFile[] {
    if (!lab.nodes.some((n) => n.name === node.name)) throw new Error(`${node.name} is not a node of lab ${lab.name}`);
    const files: NodeFile[] = [
        { path: NODE_CONF, content: renderNodeConf(node, lab), mode: "0644" },
        { path: NODE_JSON, content: fileText([JSON.stringify(node, null, 2)]), mode: "0644" },
    ];
    for (const family of ["ipv4", "ipv6"] as const) {
        const rules = renderFirewall(node, family);
        if (rules !== undefined) files.push({ path: FIREWALL_FILES[family], content: rules, mode: "0644" });
    }
    if (runsIke(node)) {
        files.push({ path: SWANCTL_CONF, content: renderSwanctlConf(node, lab), mode: "0644" });
        for (const dataplane of DATAPLANES) {
            files.push({ path: strongswanConfPath(dataplane), content: renderStrongswanConf(dataplane), mode: "0644" });
        }
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A gateway's swanctl secrets file: one PSK per tunnel it ends, keyed by
 * tunnel name. The only rendered file that holds a PSK.
 */
export function renderSecrets(node: NodePlan, lab: LabPlan, psks: Readonly<Record<string, string>>): NodeFile {
    return { path: SECRETS_CONF, content: renderSecretsConf(node, lab, psks), mode: "0600" };
}
