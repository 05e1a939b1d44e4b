export { Lab, LabArgs, NODE_IMAGE_CONTEXT, nodeImage, nodeImageArgs } from "./lab";
export { Site, SiteArgs } from "./site";
export { Gateway, GatewayArgs } from "./gateway";
export { Router, RouterArgs } from "./router";
export { VpnTunnel, VpnTunnelArgs } from "./vpn-tunnel";
export { deployLab, deployLabOnHost, LabInputs } from "./deploy";
export { Pki, PkiArgs, GatewayPki } from "./pki";
