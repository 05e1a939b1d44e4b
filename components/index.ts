export { Lab, LabArgs, NODE_IMAGE_CONTEXT, nodeImage, nodeImageArgs } from "./lab";
export { Site, SiteArgs } from "./site";
export { Gateway, GatewayArgs, RoadWarrior } from "./gateway";
export { Router, NatRouter } from "./router";
export { NodeContainerArgs } from "./node-container";
export { VpnTunnel, VpnTunnelArgs } from "./vpn-tunnel";
export { deployLab, deployLabOnHost, LabInputs } from "./deploy";
export { Pki, PkiArgs, GatewayPki } from "./pki";
