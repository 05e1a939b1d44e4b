// Rules that relate values to each other. Each rule adds issues with the
// config path of the value at fault; parseLab throws them all at once, so a
// user fixes a broken config in one round.
import { labSchema, LabConfig, Addresses, Subnets } from "./schema";
import { ConfigIssue, ConfigPath, LabConfigError } from "./errors";
import { FAMILIES, Family, Subnet, canonical, familyOf, isAddress } from "../plan/ip";
import { gatewayName, segmentKeys, containerName, labName } from "./names";

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
    checkAddresses(lab, add);
    checkSegmentsOverlap(lab, add);
    checkTunnels(lab, add);
    checkTunnelModes(lab, add);
    checkServices(lab, add);
    checkChecks(lab, add);
    checkRevocations(lab, add);
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
    claim(lab.router.name, ["router", "name"]);
    for (const [siteName, site] of Object.entries(lab.sites)) {
        claim(gatewayName(siteName, site), ["sites", siteName, "gateway", "name"]);
        for (const host of Object.keys(site.hosts)) claim(host, ["sites", siteName, "hosts", host]);
    }
}

function checkAddresses(lab: LabConfig, add: Add): void {
    for (const [siteName, site] of Object.entries(lab.sites)) {
        const lan: Member[] = [
            { path: ["sites", siteName, "gateway", "address"], addresses: site.gateway.address },
            { path: ["sites", siteName, "gateway", "serviceAddress"], addresses: site.gateway.serviceAddress },
            ...Object.entries(site.hosts).map(([h, host]) => ({
                path: ["sites", siteName, "hosts", h, "address"] as ConfigPath,
                addresses: host.address,
            })),
        ];
        checkMembers(site.lan, ["sites", siteName, "lan"], lan, add);
        const isp: Member[] = [
            { path: ["sites", siteName, "gateway", "isp", "address"], addresses: site.gateway.isp.address },
            { path: ["sites", siteName, "gateway", "isp", "router"], addresses: site.gateway.isp.router },
        ];
        checkMembers(site.gateway.isp.subnet, ["sites", siteName, "gateway", "isp", "subnet"], isp, add);
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

/** ISP links are routed by one router, so they may overlap nothing; LANs may overlap each other. */
function checkSegmentsOverlap(lab: LabConfig, add: Add): void {
    const all: { path: ConfigPath; subnet: Subnet; isp: boolean }[] = [];
    for (const [siteName, site] of Object.entries(lab.sites)) {
        for (const family of FAMILIES) {
            const lan = site.lan[family];
            if (lan) all.push({ path: ["sites", siteName, "lan", family], subnet: Subnet.parse(family, lan), isp: false });
            const isp = site.gateway.isp.subnet[family];
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
                add(a.path, `${a.subnet} overlaps ${b.path.join(".")} (${b.subnet}); ISP links must not overlap any other segment`);
            }
        }
    }
}

function checkTunnels(lab: LabConfig, add: Add): void {
    const pairs = new Map<string, string>();
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
        const other = pairs.get(pair);
        if (other !== undefined) add([...path, "between"], `sites ${left} and ${right} already have tunnel "${other}"`);
        else pairs.set(pair, tunnelName);

        const family = familyOf(tunnel.ipVersion);
        for (const site of [left, right]) {
            if (!lab.sites[site].gateway.isp.subnet[family]) {
                add([...path, "ipVersion"], `an IPv${tunnel.ipVersion} tunnel needs ${family} on the ISP link of site "${site}"`);
            }
            if (tunnel.type === "site-to-site" && !lab.sites[site].lan[family]) {
                add([...path, "ipVersion"], `an IPv${tunnel.ipVersion} site-to-site tunnel needs an ${family} LAN in site "${site}"`);
            }
        }
        const leftLan = lab.sites[left].lan[family];
        const rightLan = lab.sites[right].lan[family];
        if (tunnel.type === "site-to-site" && leftLan && rightLan &&
            Subnet.parse(family, leftLan).overlaps(Subnet.parse(family, rightLan))) {
            add([...path, "type"],
                `site-to-site between overlapping LANs ${leftLan} (${left}) and ${rightLan} (${right}) cannot route; use host-to-host`);
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

/** The tunnel joining two sites, if any. */
function tunnelBetween(lab: LabConfig, a: string, b: string): [string, LabConfig["tunnels"][string]] | undefined {
    return Object.entries(lab.tunnels).find(([, t]) => t.between.includes(a) && t.between.includes(b) && a !== b);
}

function checkServices(lab: LabConfig, add: Add): void {
    const hosts = new Map<string, { site: string; role: string }>();
    for (const [siteName, site] of Object.entries(lab.sites)) {
        for (const [h, host] of Object.entries(site.hosts)) hosts.set(h, { site: siteName, role: host.role });
    }
    for (const [serviceName, service] of Object.entries(lab.services)) {
        const path: ConfigPath = ["services", serviceName];
        const server = hosts.get(service.server);
        if (!server) {
            add([...path, "server"], `unknown host "${service.server}"`);
            continue;
        }
        if (server.role !== "server") add([...path, "server"], `host "${service.server}" has role ${server.role}, not server`);
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
            const found = tunnelBetween(lab, site, server.site);
            if (!found) {
                add(sitePath, `no tunnel joins site "${site}" and the server's site "${server.site}"`);
                continue;
            }
            const family = familyOf(found[1].ipVersion);
            if (!lab.sites[site].lan[family]) {
                add(sitePath, `site "${site}" has no ${family} LAN for the service address of tunnel "${found[0]}"`);
            }
            if (!lab.sites[server.site].lan[family]) {
                add([...path, "server"], `the server's site "${server.site}" has no ${family} LAN for tunnel "${found[0]}"`);
            }
        }
        if (service.instancePortBase + service.sites.length - 1 > 65535) {
            add([...path, "instancePortBase"], "instance ports would exceed 65535");
        }
    }
}

function checkChecks(lab: LabConfig, add: Add): void {
    const nodes = new Set<string>([lab.router.name]);
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
