export { Lab, LabArgs, nodeImage } from "./lab";
export { Site, SiteArgs } from "./site";
export { Gateway, GatewayArgs } from "./gateway";
export { Router, RouterArgs } from "./router";
export { VpnTunnel, VpnTunnelArgs } from "./vpn-tunnel";
export { deployLab, LabInputs } from "./deploy";
export { Pki, PkiArgs, GatewayPki } from "./pki";
