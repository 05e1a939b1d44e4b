// Rules that relate values to each other. Each rule adds issues with the
// config path of the value at fault; parseLab throws them all at once, so a
// user fixes a broken config in one round.
import { labSchema, LabConfig, Addresses, Subnets } from "./schema";
import { ConfigIssue, ConfigPath, LabConfigError } from "./errors";
import { FAMILIES, Family, Subnet, canonical, familyOf, isAddress } from "../plan/ip";
import { gatewayName, segmentKeys, containerName, labName, hasRouter, innerVersions, ispSegment, lanSegment, natPath, placesOn, wanSegment } from "./names";

export function parseLab(raw: unknown, stack: string): LabConfig {
    const parsed = labSchema.safeParse(raw ?? {});
    if (!parsed.success) {
        throw new LabConfigError(
            parsed.error.issues.map((i) => ({
                path: i.path.map((k) => (typeof k === "symbol" ? String(k) : k)),
                // zod reports a bad record key as "Invalid key in record"; the key's own rules say why.
                message: i.code === "invalid_key" ? `name ${i.issues.map((inner) => inner.message).join(", ")}` : i.message,
            })),
        );
    }
    const issues = validateLab(parsed.data, stack);
    if (issues.length > 0) throw new LabConfigError(issues);
    return parsed.data;
}

export function validateLab(lab: LabConfig, stack: string): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (path: ConfigPath, message: string) => issues.push({ path, message });

    checkNames(lab, stack, add);
    checkSharedSegments(lab, add);
    checkAddresses(lab, add);
    checkSegmentsOverlap(lab, add);
    checkTunnels(lab, add);
    checkRoadWarriors(lab, add);
    checkTunnelModes(lab, add);
    checkServices(lab, add);
    checkChecks(lab, add);
    checkRevocations(lab, add);
    checkHosts(lab, add);
    const segments = new Set(segmentKeys(lab));
    for (const key of Object.keys(lab.network.parents)) {
        if (!segments.has(key)) {
            add(["network", "parents", key], `is not a lab segment (known: ${[...segments].join(", ")})`);
        }
    }
    return issues;
}

type Add = (path: ConfigPath, message: string) => void;

function checkNames(lab: LabConfig, stack: string, add: Add): void {
    const prefix = labName(lab, stack);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(prefix)) {
        add(["name"], `the default "${prefix}" (from the stack name) is not a valid Docker name; set name explicitly`);
    }
    const seen = new Map<string, string>();
    const claim = (node: string, path: ConfigPath) => {
        const first = seen.get(node);
        if (first !== undefined) add(path, `node name "${node}" is already used by ${first}`);
        else seen.set(node, path.join("."));
        if (containerName(prefix, node).length > 63) {
            add(path, `container name "${containerName(prefix, node)}" is longer than 63 characters`);
        }
    };
    if (hasRouter(lab)) claim(lab.router.name, ["router", "name"]);
    else if (lab.router.uplink) add(["router", "uplink"], "the lab has no router: no site has a private ISP link and no shared segment names a router address");
    for (const [siteName, site] of Object.entries(lab.sites)) {
        claim(gatewayName(siteName, site), ["sites", siteName, "gateway", "name"]);
        for (const host of Object.keys(site.hosts)) claim(host, ["sites", siteName, "hosts", host]);
    }
    for (const [segmentName, segment] of Object.entries(lab.segments)) {
        if (segment.nat) claim(segment.nat.name, ["segments", segmentName, "nat", "name"]);
    }
    for (const rw of Object.keys(lab.roadWarriors)) claim(rw, ["roadWarriors", rw]);
}

/** A gateway's outside is a private link or a shared segment, and a shared segment is one that exists and is used. */
function checkSharedSegments(lab: LabConfig, add: Add): void {
    const siteKeys = new Set(Object.keys(lab.sites).flatMap((site) => [lanSegment(site), ispSegment(site)]));
    for (const segment of Object.keys(lab.segments)) {
        if (siteKeys.has(segment)) add(["segments", segment], `"${segment}" is already the name of a site's own segment; choose another name`);
        const used = Object.values(lab.sites).some((s) => s.gateway.isp.segment === segment) ||
            Object.values(lab.roadWarriors).some((rw) => rw.isp.segment === segment);
        if (!used) add(["segments", segment], "no gateway or road warrior is on this segment (set sites.<site>.gateway.isp.segment or roadWarriors.<name>.isp.segment)");
        const config = lab.segments[segment];
        if (config.nat) {
            const path: ConfigPath = ["segments", segment, "nat"];
            if (config.router) add([...path], "a segment has one way out: the lab router (router) or a NAT router (nat), not both");
            const outside = config.nat.outside.segment;
            if (outside === segment) add([...path, "outside", "segment"], "a NAT router masquerades to another segment, not its own");
            else if (!(outside in lab.segments)) add([...path, "outside", "segment"], unknownSegment(lab, outside));
            else if (natPath(lab, segment).some((hop) => hop.outside === segment)) add([...path, "outside", "segment"], "the NAT routers form a loop back to this segment");
        }
    }
    for (const [siteName, site] of Object.entries(lab.sites)) {
        const path: ConfigPath = ["sites", siteName, "gateway", "isp"];
        const { subnet, segment, router } = site.gateway.isp;
        if (subnet === undefined && segment === undefined) {
            add(path, "needs either subnet (a private link to the router) or segment (a shared segment)");
        } else if (subnet !== undefined && segment !== undefined) {
            add([...path, "segment"], "a gateway is on a private link (subnet) or a shared segment, not both");
        } else if (segment !== undefined) {
            if (!(segment in lab.segments)) add([...path, "segment"], unknownSegment(lab, segment));
            if (router !== undefined) add([...path, "router"], `a shared segment's router address is segments.${segment}.router, not set per gateway`);
        }
    }
}

function unknownSegment(lab: LabConfig, name: string): string {
    const known = Object.keys(lab.segments);
    return `unknown segment "${name}" (${known.length > 0 ? `known: ${known.join(", ")}` : "segments defines none"})`;
}

/** The subnets of a site's outside, whichever kind it is; none while the link itself is invalid. */
function wanSubnets(lab: LabConfig, site: LabConfig["sites"][string]): Subnets | undefined {
    const { subnet, segment } = site.gateway.isp;
    if (subnet !== undefined && segment === undefined) return subnet;
    if (segment !== undefined && subnet === undefined) return lab.segments[segment]?.subnet;
    return undefined;
}

function checkAddresses(lab: LabConfig, add: Add): void {
    for (const [segmentName, segment] of Object.entries(lab.segments)) {
        const members: Member[] = placesOn(lab, segmentName).map((p) => ({ path: p.path, addresses: p.address }));
        checkMembers(segment.subnet, ["segments", segmentName, "subnet"], members, add);
    }
    for (const [siteName, site] of Object.entries(lab.sites)) {
        const lan: Member[] = [
            { path: ["sites", siteName, "gateway", "address"], addresses: site.gateway.address },
            { path: ["sites", siteName, "gateway", "serviceAddress"], addresses: site.gateway.serviceAddress },
            ...Object.entries(site.hosts).map(([h, host]) => ({
                path: ["sites", siteName, "hosts", h, "address"] as ConfigPath,
                addresses: host.address,
            })),
        ];
        if (site.lan) {
            checkMembers(site.lan, ["sites", siteName, "lan"], lan, add);
        } else {
            // A site without a LAN is one host, its gateway: nothing else has a place in it.
            for (const member of lan) {
                if (member.addresses !== undefined) add(member.path, "is set but the site has no lan: its gateway is a lone host with only its ISP address");
            }
            if (Object.keys(site.hosts).length > 0) add(["sites", siteName, "hosts"], "a site without a lan has no hosts: its gateway is the one host; give the site a lan");
        }
        const ispSubnet = site.gateway.isp.subnet;
        if (ispSubnet === undefined || site.gateway.isp.segment !== undefined) continue;
        const isp: Member[] = [
            { path: ["sites", siteName, "gateway", "isp", "address"], addresses: site.gateway.isp.address },
            { path: ["sites", siteName, "gateway", "isp", "router"], addresses: site.gateway.isp.router },
        ];
        checkMembers(ispSubnet, ["sites", siteName, "gateway", "isp", "subnet"], isp, add);
    }
}

interface Member {
    readonly path: ConfigPath;
    readonly addresses: Addresses | undefined;
}

function checkMembers(subnets: Subnets, subnetPath: ConfigPath, members: Member[], add: Add): void {
    for (const family of FAMILIES) {
        const cidr = subnets[family];
        const owners = new Map<string, string>();
        for (const member of members) {
            const address = member.addresses?.[family];
            if (address === undefined) continue;
            const path = [...member.path, family];
            if (cidr === undefined) {
                add(path, `${address} is set but ${subnetPath.join(".")} has no ${family} subnet`);
                continue;
            }
            const subnet = Subnet.parse(family, cidr);
            if (!subnet.contains(address)) {
                add(path, `${address} is outside its subnet ${cidr}`);
                continue;
            }
            if (!subnet.isUsable(address)) {
                add(path, `${address} is not a usable host address of ${cidr} (network or broadcast address)`);
            }
            const value = canonical(family, address);
            const owner = owners.get(value);
            if (owner !== undefined) add(path, `duplicate address ${address}: also used by ${owner}`);
            else owners.set(value, member.path.join("."));
        }
    }
}

/** ISP links and shared segments are the lab's Internet, so they may overlap nothing; LANs may overlap each other. */
function checkSegmentsOverlap(lab: LabConfig, add: Add): void {
    const all: { path: ConfigPath; subnet: Subnet; isp: boolean }[] = [];
    for (const [segmentName, segment] of Object.entries(lab.segments)) {
        for (const family of FAMILIES) {
            const cidr = segment.subnet[family];
            if (cidr) all.push({ path: ["segments", segmentName, "subnet", family], subnet: Subnet.parse(family, cidr), isp: true });
        }
    }
    for (const [siteName, site] of Object.entries(lab.sites)) {
        for (const family of FAMILIES) {
            const lan = site.lan?.[family];
            if (lan) all.push({ path: ["sites", siteName, "lan", family], subnet: Subnet.parse(family, lan), isp: false });
            const pool = site.gateway.pools?.[family];
            if (pool) all.push({ path: ["sites", siteName, "gateway", "pools", family], subnet: Subnet.parse(family, pool), isp: true });
            const isp = site.gateway.isp.subnet?.[family];
            if (isp) {
                all.push({
                    path: ["sites", siteName, "gateway", "isp", "subnet", family],
                    subnet: Subnet.parse(family, isp),
                    isp: true,
                });
            }
        }
    }
    for (let i = 0; i < all.length; i++) {
        for (let j = 0; j < i; j++) {
            const [a, b] = [all[i], all[j]];
            if ((a.isp || b.isp) && a.subnet.overlaps(b.subnet)) {
                add(a.path, `${a.subnet} overlaps ${b.path.join(".")} (${b.subnet}); ISP links, shared segments and pools must not overlap any other segment`);
            }
        }
    }
}

function checkTunnels(lab: LabConfig, add: Add): void {
    // One IKE SA per pair of gateways and outer family; one tunnel per pair and inner family.
    const outer = new Map<string, string>();
    const inner = new Map<string, string>();
    for (const [tunnelName, tunnel] of Object.entries(lab.tunnels)) {
        const path: ConfigPath = ["tunnels", tunnelName];
        const [left, right] = tunnel.between;
        let known = true;
        for (const [i, site] of tunnel.between.entries()) {
            if (!(site in lab.sites)) {
                add([...path, "between", i], `unknown site "${site}" (known: ${Object.keys(lab.sites).join(", ")})`);
                known = false;
            }
        }
        if (!known) continue;
        if (left === right) {
            add([...path, "between"], `a tunnel needs two different sites, got "${left}" twice`);
            continue;
        }
        const pair = [left, right].sort().join("|");
        const versions = innerVersions(tunnel);
        if (tunnel.inner !== undefined && new Set(tunnel.inner).size !== tunnel.inner.length) {
            add([...path, "inner"], "names a family twice");
        }
        const outerKey = `${pair}|${tunnel.ipVersion}`;
        const sameOuter = outer.get(outerKey);
        if (sameOuter !== undefined) {
            add([...path, "between"],
                `sites ${left} and ${right} already have tunnel "${sameOuter}" over IPv${tunnel.ipVersion}; ` +
                "one tunnel per pair and outer family (list both LAN families in its inner)");
        } else {
            outer.set(outerKey, tunnelName);
        }
        for (const version of versions) {
            const innerKey = `${pair}|inner${version}`;
            const other = inner.get(innerKey);
            if (other !== undefined && sameOuter === undefined) {
                add([...path, "inner"], `tunnel "${other}" already carries IPv${version} between sites ${left} and ${right}`);
            } else {
                inner.set(innerKey, tunnelName);
            }
        }

        const family = familyOf(tunnel.ipVersion);
        for (const site of [left, right]) {
            const wan = wanSubnets(lab, lab.sites[site]);
            if (wan && !wan[family]) {
                add([...path, "ipVersion"], `an IPv${tunnel.ipVersion} tunnel needs ${family} on the ISP link of site "${site}"`);
            }
            for (const hop of natPath(lab, wanSegment(site, lab.sites[site]))) {
                if (!lab.segments[hop.outside]?.subnet[family]) {
                    add([...path, "ipVersion"], `site "${site}" is behind NAT router ${hop.router}, whose outside segment ${hop.outside} has no ${family}`);
                }
            }
        }
        const hidden = natPath(lab, wanSegment(right, lab.sites[right]));
        if (hidden.length > 0) {
            add([...path, "between"], `site "${right}" is behind NAT router ${hidden[0].router} and cannot be reached from outside: it must initiate (name it first)`);
        }
        if (tunnel.type === "host-to-host") {
            for (const site of [left, right]) {
                const nat = natPath(lab, wanSegment(site, lab.sites[site]))[0];
                if (nat) add([...path, "type"], `site "${site}" is behind NAT router ${nat.router}, which rewrites the address a host-to-host tunnel protects: use site-to-site`);
            }
            // Its selectors are the gateways' own (outer) addresses.
            if (versions.length !== 1 || versions[0] !== tunnel.ipVersion) {
                add([...path, "inner"], `a host-to-host tunnel protects the gateways' own IPv${tunnel.ipVersion} addresses: inner must be [${tunnel.ipVersion}] or left out`);
            }
            continue;
        }
        const innerPath: ConfigPath = tunnel.inner !== undefined ? [...path, "inner"] : [...path, "ipVersion"];
        for (const version of versions) {
            const innerFamily = familyOf(version);
            for (const site of [left, right]) {
                if (!lab.sites[site].lan?.[innerFamily]) {
                    add(innerPath, `an IPv${version} site-to-site tunnel needs an ${innerFamily} LAN in site "${site}"`);
                }
            }
            const leftLan = lab.sites[left].lan?.[innerFamily];
            const rightLan = lab.sites[right].lan?.[innerFamily];
            if (leftLan && rightLan && Subnet.parse(innerFamily, leftLan).overlaps(Subnet.parse(innerFamily, rightLan))) {
                add([...path, "type"],
                    `site-to-site between overlapping LANs ${leftLan} (${left}) and ${rightLan} (${right}) cannot route; use host-to-host`);
            }
        }
    }
}

function checkRoadWarriors(lab: LabConfig, add: Add): void {
    for (const [rwName, rw] of Object.entries(lab.roadWarriors)) {
        const path: ConfigPath = ["roadWarriors", rwName];
        if (rwName in lab.tunnels) add(path, `"${rwName}" also names a tunnel: a road warrior's tunnel takes its name`);
        const segment = lab.segments[rw.isp.segment];
        if (!segment) add([...path, "isp", "segment"], unknownSegment(lab, rw.isp.segment));
        const site = lab.sites[rw.site];
        if (!site) {
            add([...path, "site"], `unknown site "${rw.site}" (known: ${Object.keys(lab.sites).join(", ")})`);
            continue;
        }
        const family = familyOf(rw.ipVersion);
        if (segment && !segment.subnet[family]) add([...path, "ipVersion"], `segment ${rw.isp.segment} has no ${family} for an IPv${rw.ipVersion} road warrior`);
        for (const hop of natPath(lab, rw.isp.segment)) {
            if (!lab.segments[hop.outside]?.subnet[family]) add([...path, "ipVersion"], `behind NAT router ${hop.router}, whose outside segment ${hop.outside} has no ${family}`);
        }
        const wan = wanSubnets(lab, site);
        if (wan && !wan[family]) add([...path, "ipVersion"], `site "${rw.site}" has no ${family} on its ISP link`);
        if (natPath(lab, wanSegment(rw.site, site)).length > 0) add([...path, "site"], `site "${rw.site}" is behind a NAT router: a road warrior cannot reach it`);
        if (new Set(rw.virtualIps).size !== rw.virtualIps.length) add([...path, "virtualIps"], "names a family twice");
        for (const version of rw.virtualIps) {
            const vipFamily = familyOf(version);
            if (!site.gateway.pools?.[vipFamily]) {
                add([...path, "virtualIps"], `site "${rw.site}"'s gateway has no ${vipFamily} pool to hand out (set sites.${rw.site}.gateway.pools.${vipFamily})`);
            }
            if (!site.lan?.[vipFamily]) add([...path, "virtualIps"], `site "${rw.site}" has no ${vipFamily} LAN for an IPv${version} virtual IP to reach`);
        }
    }
}

/**
 * Transport mode puts no inner IP header on the wire: an SA protects only
 * packets between its two endpoints. That fits host-to-host (the selectors are
 * the peers' own addresses), and only the kernel's xfrm implements it.
 */
function checkTunnelModes(lab: LabConfig, add: Add): void {
    for (const [tunnelName, tunnel] of Object.entries(lab.tunnels)) {
        if (tunnel.mode !== "transport") continue;
        const path: ConfigPath = ["tunnels", tunnelName, "mode"];
        if (tunnel.type !== "host-to-host") {
            add(path, `transport mode protects only the two peers' own traffic (no inner IP header), but a ${tunnel.type} tunnel ` +
                "carries its LANs' traffic, which needs tunnel mode; use mode: tunnel, or type: host-to-host");
        }
        if (lab.dataplane === "libipsec") {
            add(path, "transport mode needs the kernel's IPsec (xfrm), but dataplane is libipsec: strongSwan's userspace " +
                "kernel-libipsec implements tunnel mode only; use mode: tunnel, or dataplane: auto or kernel on a host whose kernel has IPsec ESP");
        }
    }
}

/** The tunnels joining two sites. */
function tunnelsBetween(lab: LabConfig, a: string, b: string): [string, LabConfig["tunnels"][string]][] {
    return Object.entries(lab.tunnels).filter(([, t]) => t.between.includes(a) && t.between.includes(b) && a !== b);
}

function checkServices(lab: LabConfig, add: Add): void {
    const hosts = new Map<string, { site: string; role: string }>();
    for (const [siteName, site] of Object.entries(lab.sites)) {
        for (const [h, host] of Object.entries(site.hosts)) hosts.set(h, { site: siteName, role: host.role });
        // A lone host serves itself.
        if (!site.lan) hosts.set(gatewayName(siteName, site), { site: siteName, role: "server" });
    }
    for (const [serviceName, service] of Object.entries(lab.services)) {
        const path: ConfigPath = ["services", serviceName];
        const server = hosts.get(service.server);
        if (!server) {
            add([...path, "server"], `unknown host "${service.server}"`);
            continue;
        }
        if (server.role !== "server") add([...path, "server"], `host "${service.server}" has role ${server.role}, not server`);
        if (service.sites.length === 0 && service.roadWarriors.length === 0) add([...path, "sites"], "a service needs sites or roadWarriors that use it");
        for (const [i, rw] of service.roadWarriors.entries()) {
            const config = lab.roadWarriors[rw];
            if (!config) add([...path, "roadWarriors", i], `unknown road warrior "${rw}" (known: ${Object.keys(lab.roadWarriors).join(", ") || "none"})`);
            else if (config.site !== server.site) add([...path, "roadWarriors", i], `road warrior "${rw}" dials in to site "${config.site}", not the server's site "${server.site}"`);
        }
        for (const [i, site] of service.sites.entries()) {
            const sitePath = [...path, "sites", i];
            if (!(site in lab.sites)) {
                add(sitePath, `unknown site "${site}" (known: ${Object.keys(lab.sites).join(", ")})`);
                continue;
            }
            if (site === server.site) {
                add(sitePath, `site "${site}" is the server's own site; services are forwarded across tunnels`);
                continue;
            }
            const found = tunnelsBetween(lab, site, server.site);
            if (found.length === 0) {
                add(sitePath, `no tunnel joins site "${site}" and the server's site "${server.site}"`);
                continue;
            }
            const lone = (s: string) => lab.sites[s].lan === undefined;
            if ((lone(site) || lone(server.site)) && service.via !== "direct") {
                add([...path, "via"], `site "${lone(site) ? site : server.site}" is a lone host without a LAN for a service address: use via: direct`);
            }
            for (const [tunnelName, tunnel] of found) {
                // Across host-to-host, only the gateways' own addresses travel the tunnel: direct reaches a lone host that serves itself.
                if (service.via === "direct" && tunnel.type !== "site-to-site" && !lone(server.site)) {
                    add([...path, "via"], `direct needs site-to-site tunnels, but "${tunnelName}" is host-to-host: it carries only the gateways' addresses (use via: gateway)`);
                }
                for (const version of innerVersions(tunnel)) {
                    const family = familyOf(version);
                    if (!lone(site) && !lab.sites[site].lan?.[family]) {
                        add(sitePath, `site "${site}" has no ${family} LAN for the service address of tunnel "${tunnelName}"`);
                    }
                    if (!lone(server.site) && !lab.sites[server.site].lan?.[family]) {
                        add([...path, "server"], `the server's site "${server.site}" has no ${family} LAN for tunnel "${tunnelName}"`);
                    }
                }
            }
        }
        if (service.instancePortBase + service.sites.length - 1 > 65535) {
            add([...path, "instancePortBase"], "instance ports would exceed 65535");
        }
    }
}

function checkChecks(lab: LabConfig, add: Add): void {
    const nodes = new Set<string>([
        ...(hasRouter(lab) ? [lab.router.name] : []),
        ...Object.keys(lab.roadWarriors),
        ...Object.values(lab.segments).flatMap((s) => (s.nat ? [s.nat.name] : [])),
    ]);
    for (const [siteName, site] of Object.entries(lab.sites)) {
        nodes.add(gatewayName(siteName, site));
        for (const h of Object.keys(site.hosts)) nodes.add(h);
    }
    for (const [i, check] of lab.checks.entries()) {
        if (!nodes.has(check.from)) add(["checks", i, "from"], `unknown node "${check.from}"`);
        const family: Family = familyOf(check.ipVersion);
        if (!nodes.has(check.to) && !FAMILIES.some((f) => isAddress(f, check.to))) {
            add(["checks", i, "to"], `"${check.to}" is neither a node nor an address`);
        } else if (!nodes.has(check.to) && !isAddress(family, check.to)) {
            add(["checks", i, "to"], `"${check.to}" is not an ${family} address (ipVersion is ${check.ipVersion})`);
        }
        if (check.protocol !== "icmp" && check.port === undefined) add(["checks", i, "port"], `a ${check.protocol} check needs a port`);
        if (check.protocol === "icmp" && check.port !== undefined) add(["checks", i, "port"], "an icmp check takes no port");
    }
}

function checkRevocations(lab: LabConfig, add: Add): void {
    const gateways = new Map(Object.entries(lab.sites).map(([siteName, site]) => [gatewayName(siteName, site), siteName]));
    for (const [i, gateway] of lab.pki.revoke.entries()) {
        const site = gateways.get(gateway);
        if (site === undefined) {
            add(["pki", "revoke", i], `"${gateway}" is not a gateway (known: ${[...gateways.keys()].join(", ")})`);
        } else if (!Object.values(lab.tunnels).some((t) => t.auth === "pubkey" && t.between.includes(site))) {
            add(["pki", "revoke", i], `"${gateway}" has no certificate to revoke: none of its tunnels uses pubkey auth`);
        }
    }
}

/** Placements name hosts of `hosts`; one manager at most; TLS only where Docker speaks TCP. */
function checkHosts(lab: LabConfig, add: Add): void {
    const names = Object.keys(lab.hosts).sort();
    const known = names.length > 0 ? `hosts: ${names.join(", ")}` : "the lab names no hosts; add them under hosts";
    const placed = (path: ConfigPath, host: string | undefined) => {
        if (host !== undefined && !(host in lab.hosts)) add(path, `names host "${host}", which is not one of the lab's (${known})`);
    };
    placed(["router", "host"], lab.router.host);
    for (const [siteName, site] of Object.entries(lab.sites)) placed(["sites", siteName, "host"], site.host);
    for (const [segmentName, segment] of Object.entries(lab.segments)) placed(["segments", segmentName, "nat", "host"], segment.nat?.host);
    for (const [rw, r] of Object.entries(lab.roadWarriors)) placed(["roadWarriors", rw, "host"], r.host);
    const managers = names.filter((n) => lab.hosts[n].manager);
    if (managers.length > 1) add(["hosts"], `${managers.join(" and ")} are both marked manager: one host makes the lab's overlay networks`);
    for (const n of names) {
        const h = lab.hosts[n];
        if (h.tls && !h.address?.startsWith("tcp://")) add(["hosts", n, "tls"], "TLS is for a tcp:// address; unix:// and ssh:// need none");
    }
    const local = names.filter((n) => lab.hosts[n].address === undefined);
    if (local.length > 1) add(["hosts", local[1], "address"], `is left out, as ${local[0]}'s is: both would be the local engine`);
}
