// Facts about a planned tunnel that several stages read (render, verify).
import { Family, familyOf } from "./ip";
import type { TunnelEnd, TunnelPlan } from "./types";

/** The families of a tunnel's traffic selectors, in 4, 6 order. */
export function tunnelFamilies(tunnel: Pick<TunnelPlan, "ipVersion" | "inner">): Family[] {
    return (tunnel.inner ?? [tunnel.ipVersion]).map(familyOf);
}

/** IPv6 outside or inside: the ends' TUN device then needs IPv6. */
export function carriesIpv6(tunnel: Pick<TunnelPlan, "ipVersion" | "inner">): boolean {
    return tunnel.ipVersion === 6 || tunnelFamilies(tunnel).includes("ipv6");
}

/** The family of a CIDR prefix from the plan (canonical text: only IPv6 has a colon). */
export const familyOfPrefix = (prefix: string): Family => (prefix.includes(":") ? "ipv6" : "ipv4");

/** Where the peer sends to: the end's own address, or its NAT router's outside address. */
export const reachableAt = (end: Pick<TunnelEnd, "address" | "nat">): string => end.nat?.address ?? end.address;
