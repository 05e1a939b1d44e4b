import { expect } from "chai";
import { readFileSync } from "fs";
import * as path from "path";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan, NodePlan } from "../../plan/types";
import {
    CHARON, CHARON_LOG, CHARON_PID, CHARON_VICI, DATAPLANE_FILE, FAILED_MESSAGE, FIREWALL_FILES, IKE_RULE_PREF, LIBIPSEC_TUN, NODE_CONF,
    NODE_CONF_FORMAT, NODE_JSON, NodeFile, READY_FILE, READY_MESSAGE, SECRETS_CONF, START_LOG, STRONGSWAN_CONF, SWANCTL_CONF,
    gatewayTunnels, renderNodeConf, renderNodeFiles, renderSecrets, renderStrongswanConf, startAction, strongswanConfPath,
} from "../../configs";

// ---- helpers -------------------------------------------------------------------------------

const planOf = (stack: string, edit?: (raw: any) => void): LabPlan => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const raw = JSON.parse(JSON.stringify(loadStackLab(stack)));
    edit?.(raw);
    return planLab(parseLab(raw, stack), stack);
};
const node = (plan: LabPlan, name: string): NodePlan => {
    const found = plan.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
};
const file = (files: readonly NodeFile[], path: string): string => {
    const found = files.find((f) => f.path === path);
    if (!found) throw new Error(`no file ${path} among ${files.map((f) => f.path).join(", ")}`);
    return found.content;
};
const filesOf = (plan: LabPlan, name: string) => renderNodeFiles(node(plan, name), plan);

/** The node config's records (comments left out), each as its words. */
const records = (n: NodePlan, plan: LabPlan): string[][] =>
    file(renderNodeFiles(n, plan), NODE_CONF).split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(" "));
const recordsOf = (plan: LabPlan, name: string, kind?: string) => records(node(plan, name), plan).filter((r) => kind === undefined || r[0] === kind);
const confLines = (plan: LabPlan, name: string) => file(filesOf(plan, name), NODE_CONF).split("\n");

/** The start program in the image: static, so what holds for it is read from its text. */
const START_PROGRAM = readFileSync(path.join(__dirname, "../../image/vnetlab-start"), "utf8");
/** The body of one of its shell functions. */
function shellFunction(name: string): string {
    const m = new RegExp(`^${name}\\(\\) \\{\\n([\\s\\S]*?)^\\}$`, "m").exec(START_PROGRAM);
    if (!m) throw new Error(`vnetlab-start has no function ${name}`);
    return m[1];
}

/** strongSwan's settings syntax (swanctl.conf, strongswan.conf) to nested objects. */
type Tree = { [key: string]: string | Tree };
function parseSettings(text: string): Tree {
    const root: Tree = {};
    const stack: Tree[] = [root];
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        if (!line || line.startsWith("include ")) continue;
        const top = stack[stack.length - 1];
        let m: RegExpExecArray | null;
        if ((m = /^([\w.%-]+)\s*\{$/.exec(line))) {
            const child: Tree = {};
            top[m[1]] = child;
            stack.push(child);
        } else if (line === "}") {
            stack.pop();
        } else if ((m = /^([\w.-]+)\s*=\s*(.*)$/.exec(line))) {
            top[m[1]] = m[2];
        } else {
            throw new Error(`unparsable line: ${raw}`);
        }
    }
    expect(stack.length, "balanced braces").to.equal(1);
    return root;
}
const at = (tree: Tree, ...path: string[]): Tree => {
    let cur: string | Tree = tree;
    for (const key of path) {
        if (typeof cur !== "object" || !(key in cur)) throw new Error(`no ${path.join(".")}`);
        cur = cur[key];
    }
    if (typeof cur !== "object") throw new Error(`${path.join(".")} is a value`);
    return cur;
};

/** iptables-restore text: rules per table, policies per chain. */
function parseRules(text: string) {
    const tables: Record<string, { policies: Record<string, string>; rules: string[] }> = {};
    let current: { policies: Record<string, string>; rules: string[] } | undefined;
    for (const line of text.split("\n")) {
        if (line.startsWith("*")) {
            current = { policies: {}, rules: [] };
            tables[line.slice(1)] = current;
        } else if (line.startsWith(":")) {
            const [chain, policy] = line.slice(1).split(" ");
            current!.policies[chain] = policy;
        } else if (line.startsWith("-A ")) {
            current!.rules.push(line);
        } else if (line === "COMMIT") {
            current = undefined;
        } else {
            expect(line === "" || line.startsWith("#"), `stray line: ${line}`).to.equal(true);
        }
    }
    expect(current, "every table committed").to.equal(undefined);
    return tables;
}
const firewall = (plan: LabPlan, name: string, family: "ipv4" | "ipv6") => parseRules(file(filesOf(plan, name), FIREWALL_FILES[family]));

/** Every ACCEPT in INPUT/OUTPUT that touches the WAN interface, with why it is allowed. */
function wanAccepts(rules: readonly string[], wan: string) {
    return rules.filter((r) => /^-A (INPUT|OUTPUT) /.test(r) && new RegExp(` -[io] ${wan} `).test(r) && r.endsWith("-j ACCEPT"));
}

const STACKS = ["dev", "host-to-host", "site-to-site", "site-to-site-ipv6", "host-to-host-transport"] as const;

// ---- per scenario --------------------------------------------------------------------------

describe("configs", () => {
    describe("host-to-host (seed scenario 1)", () => {
        const plan = planOf("host-to-host");

        it("gives each gateway one IKEv2 connection per tunnel between the ISP addresses, protecting only them", () => {
            const a = parseSettings(file(filesOf(plan, "gateway-a"), SWANCTL_CONF));
            expect(Object.keys(at(a, "connections"))).to.deep.equal(["a-s"]);
            const conn = at(a, "connections", "a-s");
            expect(conn).to.include({
                version: "2",
                local_addrs: "172.16.16.16",
                remote_addrs: "172.30.30.30",
                proposals: "aes256gcm16-prfsha384-ecp384",
            });
            // Certificates, as in the seed: the identity is the ISP address, in the certificate's SAN.
            expect(at(conn, "local")).to.deep.equal({ auth: "pubkey", certs: "gateway.pem", id: "172.16.16.16" });
            expect(at(conn, "remote")).to.deep.equal({ auth: "pubkey", id: "172.30.30.30", cacerts: "root-ca.pem", revocation: "strict" });
            expect(at(conn, "children", "a-s")).to.deep.include({
                mode: "tunnel",
                local_ts: "172.16.16.16/32",
                remote_ts: "172.30.30.30/32",
                esp_proposals: "aes256gcm16-ecp384",
                start_action: "trap",
                dpd_action: "trap",
            });

            const s = parseSettings(file(filesOf(plan, "gateway-s"), SWANCTL_CONF));
            expect(Object.keys(at(s, "connections"))).to.deep.equal(["a-s", "b-s"]);
            expect(at(s, "connections", "b-s")).to.include({ local_addrs: "172.30.30.30", remote_addrs: "172.18.18.18" });
            // The responder traps too (seed: auto=route on both ends), so either side can bring it up.
            expect(at(s, "connections", "b-s", "children", "b-s")).to.include({ local_ts: "172.30.30.30/32", remote_ts: "172.18.18.18/32", start_action: "trap" });
        });

        it("forwards each site's service address to gateway S, and S's DNAT picks the site's own instance by source", () => {
            const nat = firewall(plan, "gateway-a", "ipv4").nat.rules;
            expect(nat).to.include(
                '-A PREROUTING -i lan -d 10.1.0.99/32 -p tcp -m tcp --dport 8080 -m comment --comment "web: site a reaches s through host-to-host tunnel a-s" -j DNAT --to-destination 172.30.30.30:8080',
            );
            const s = firewall(plan, "gateway-s", "ipv4").nat.rules.filter((r) => r.includes("DNAT"));
            expect(s).to.have.length(2);
            expect(s[0]).to.match(/-s 172\.16\.16\.16\/32 -d 172\.30\.30\.30\/32 -p tcp -m tcp --dport 8080 .* -j DNAT --to-destination 10\.1\.0\.2:30000$/);
            expect(s[1]).to.match(/-s 172\.18\.18\.18\/32 -d 172\.30\.30\.30\/32 -p tcp -m tcp --dport 8080 .* -j DNAT --to-destination 10\.1\.0\.2:30001$/);
        });

        it("SNATs LAN traffic to the gateway's tunnel address without naming an output interface, ahead of masquerade", () => {
            const nat = firewall(plan, "gateway-a", "ipv4").nat.rules.filter((r) => r.startsWith("-A POSTROUTING"));
            expect(nat[0]).to.match(/^-A POSTROUTING -s 10\.1\.0\.0\/16 -d 172\.30\.30\.30\/32 .*-j SNAT --to-source 172\.16\.16\.16$/);
            expect(nat[0]).to.not.match(/ -o /);
            expect(nat.slice(1)).to.deep.equal([
                '-A POSTROUTING -s 10.1.0.0/16 -d 172.30.30.30/32 -o isp -m comment --comment "tunnel traffic keeps its source" -j RETURN',
                "-A POSTROUTING -s 10.1.0.0/16 -o isp -j MASQUERADE",
            ]);
        });

        it("re-addresses the overlapping LAN: finds the interface by Docker's stand-in address, then swaps in 10.1.0.1", () => {
            const lan = node(plan, "gateway-a").interfaces.find((i) => i.name === "lan")!;
            expect(lan.docker.ipv4).to.not.equal("10.1.0.1");
            // Docker's stand-in with Docker's prefix (what to find, then delete), the lab's address, then the service address.
            const lines = confLines(plan, "gateway-a");
            const at = lines.indexOf(`interface lan ${lan.docker.ipv4}/24 - 10.1.0.1/16 -`);
            expect(at).to.be.greaterThan(0);
            expect(lines[at + 1]).to.equal("address lan ipv4 10.1.0.99/16");
            // The program deletes Docker's address only where the lab's differs, then adds the lab's.
            const body = shellFunction("address_interface");
            expect(body).to.include(`elif [ "\${lab4%/*}" != "\${docker4%/*}" ]; then`);
            expect(body).to.include(`ip -4 addr del "$docker4" dev "$dev" 2>/dev/null || true\n        run ip -4 addr replace "$lab4" dev "$dev"`);
            expect(body.indexOf('run ip -4 addr replace "$lab4"')).to.be.lessThan(body.indexOf("EXTRA_CIDR"));
        });

        it("lets host-to-host LAN traffic out only towards the peer's tunnel address (SNAT puts it into the tunnel)", () => {
            const forward = firewall(plan, "gateway-a", "ipv4").filter.rules.filter((r) => r.startsWith("-A FORWARD -i lan -o isp"));
            expect(forward).to.have.length(2);
            expect(forward[0]).to.equal("-A FORWARD -i lan -o isp -m policy --dir out --pol ipsec -j ACCEPT");
            expect(forward[1]).to.match(/^-A FORWARD -i lan -o isp -s 10\.1\.0\.0\/16 -d 172\.30\.30\.30\/32 .*-j ACCEPT$/);
        });
    });

    describe("site-to-site (seed scenario 2)", () => {
        const plan = planOf("site-to-site");

        it("protects LAN to LAN, with the seed's proposals and the ISP addresses as identities", () => {
            const conn = at(parseSettings(file(filesOf(plan, "gateway-b"), SWANCTL_CONF)), "connections", "b-s");
            expect(conn).to.include({ local_addrs: "172.27.27.27", remote_addrs: "172.28.28.28", proposals: "aes256gcm16-prfsha384-ecp384" });
            expect(at(conn, "local").id).to.equal("172.27.27.27");
            expect(at(conn, "remote").id).to.equal("172.28.28.28");
            expect(at(conn, "children", "b-s")).to.include({ local_ts: "10.2.0.0/16", remote_ts: "10.3.0.0/16", esp_proposals: "aes256gcm16-ecp384" });
        });

        it("DNATs the service address straight to the server and exempts the cloud LAN from masquerade", () => {
            const nat = firewall(plan, "gateway-a", "ipv4").nat.rules;
            expect(nat.find((r) => r.includes("DNAT"))).to.match(/^-A PREROUTING -i lan -d 10\.1\.0\.99\/32 -p tcp -m tcp --dport 8080 .*-j DNAT --to-destination 10\.3\.0\.3:8080$/);
            expect(nat.filter((r) => r.startsWith("-A POSTROUTING"))).to.deep.equal([
                '-A POSTROUTING -s 10.1.0.0/16 -d 10.3.0.0/16 -o isp -m comment --comment "tunnel traffic keeps its source" -j RETURN',
                "-A POSTROUTING -s 10.1.0.0/16 -o isp -j MASQUERADE",
            ]);
            const s = firewall(plan, "gateway-s", "ipv4").nat.rules;
            expect(s.filter((r) => r.endsWith("-j RETURN")).map((r) => r.split(" ")[5])).to.deep.equal(["10.1.0.0/16", "10.2.0.0/16"]);
            expect(s.some((r) => r.includes("SNAT"))).to.equal(false);
        });
    });

    describe("site-to-site-ipv6 (seed scenario 3)", () => {
        const plan = planOf("site-to-site-ipv6");

        it("negotiates IPv6 subnets between the gateways' IPv6 ISP addresses", () => {
            const conn = at(parseSettings(file(filesOf(plan, "gateway-a"), SWANCTL_CONF)), "connections", "a-s");
            expect(conn).to.include({ local_addrs: "fc00:4300:aaea::aaea", remote_addrs: "fc00:4300:aaec::aaec" });
            expect(at(conn, "children", "a-s")).to.include({ local_ts: "fc00:4300:a::/64", remote_ts: "fc00:4300:c::/64" });
        });

        it("DNATs [fc00:4300:a::99]:8080 to [fc00:4300:c::3]:8080 and masquerades all but the cloud LAN", () => {
            const nat = firewall(plan, "gateway-a", "ipv6").nat.rules;
            expect(nat.find((r) => r.includes("DNAT"))).to.match(/^-A PREROUTING -i lan -d fc00:4300:a::99\/128 -p tcp -m tcp --dport 8080 .*-j DNAT --to-destination \[fc00:4300:c::3\]:8080$/);
            expect(nat).to.include('-A POSTROUTING -s fc00:4300:a::/64 -d fc00:4300:c::/64 -o isp -m comment --comment "tunnel traffic keeps its source" -j RETURN');
            // No IPv4 in this lab: the IPv4 NAT table is empty.
            expect(firewall(plan, "gateway-a", "ipv4").nat.rules).to.deep.equal([]);
        });

        it("allows neighbour discovery (133-136) on the WAN, and no echo or other ICMPv6 there", () => {
            const rules = firewall(plan, "gateway-a", "ipv6").filter.rules;
            const icmp = wanAccepts(rules, "isp").filter((r) => r.includes("ipv6-icmp"));
            expect(icmp.map((r) => Number(/--icmpv6-type (\d+)/.exec(r)![1])).sort()).to.deep.equal([133, 133, 134, 134, 135, 135, 136, 136]);
            expect(rules.some((r) => /echo|icmpv6-type 12[89]/.test(r))).to.equal(false);
            // IPv4-only WANs get no ICMPv6 rule at all.
            expect(firewall(planOf("site-to-site"), "gateway-a", "ipv6").filter.rules.some((r) => r.includes("icmp6"))).to.equal(false);
        });

        it("flushes Docker's IPv4 stand-ins and adds the IPv6 lab addresses without waiting for DAD", () => {
            const lan = node(plan, "client-a1").interfaces[0];
            const docker6 = lan.docker.ipv6 ? `${lan.docker.ipv6}/64` : "-";
            // No lab IPv4 ("-"): the program flushes Docker's; IPv6 goes on with nodad.
            expect(recordsOf(plan, "client-a1", "interface")).to.deep.equal([["interface", "lan", `${lan.docker.ipv4}/24`, docker6, "-", "fc00:4300:a::3/64"]]);
            expect(recordsOf(plan, "client-a1", "route")).to.deep.equal([["route", "ipv6", "default", "fc00:4300:a::2", "lan"]]);
            const body = shellFunction("address_interface");
            expect(body).to.include(`if [ "$lab4" = - ]; then`);
            expect(body).to.include(`run ip -4 addr flush dev "$dev"`);
            expect(body).to.include(`run ip -6 addr replace "$lab6" dev "$dev" nodad`);
        });
    });

    describe("dev", () => {
        const plan = planOf("dev");

        it("dials the tunnel from the initiator's start program before it is ready, traps there for later, and only responds on the other end", () => {
            const child = (gw: string) => at(parseSettings(file(filesOf(plan, gw), SWANCTL_CONF)), "connections", "a-s", "children", "a-s");
            expect(child("gateway-a").start_action).to.equal("trap");
            expect(child("gateway-s").start_action).to.equal("none");
            expect(recordsOf(plan, "gateway-a", "dial")).to.deep.equal([["dial", "a-s"]]);
            expect(recordsOf(plan, "gateway-s", "dial")).to.deep.equal([]);
        });

        it("runs the planned service instances on the server and waits for their ports", () => {
            expect(recordsOf(plan, "server-s1", "instance")).to.deep.equal([["instance", "web", "8080", "web"]]);
            expect(recordsOf(planOf("host-to-host"), "server-s1", "instance")).to.deep.equal([
                ["instance", "web", "30000", "web@a"],
                ["instance", "web", "30001", "web@b"],
            ]);
            const body = shellFunction("step_services");
            expect(body).to.include('spawn vnetlab-service --node "$NODE" "${args[@]}"');
            expect(body).to.include('wait_for_port "${INSTANCE_PORT[$i]}"');
        });
    });

    // ---- every scenario ------------------------------------------------------------------------

    for (const stack of STACKS) {
        describe(`${stack}: properties every lab has`, () => {
            // PSK everywhere, so that the secrets file exists for every gateway.
            const plan = planOf(stack, (raw) => {
                for (const t of [...Object.values(raw.tunnels ?? {}), ...Object.values(raw.roadWarriors ?? {})]) (t as { auth: string }).auth = "psk";
            });
            const gateways = plan.nodes.filter((n) => n.role === "gateway");

            it("gives every node the files of its role, and gateways the secrets file only through renderSecrets", () => {
                for (const n of plan.nodes) {
                    const paths = renderNodeFiles(n, plan).map((f) => f.path);
                    const ike = [SWANCTL_CONF, FIREWALL_FILES.ipv4, FIREWALL_FILES.ipv6, NODE_CONF, NODE_JSON, strongswanConfPath("kernel"), strongswanConfPath("libipsec")];
                    const expected = {
                        client: [NODE_CONF, NODE_JSON],
                        server: [NODE_CONF, NODE_JSON],
                        router: [FIREWALL_FILES.ipv4, FIREWALL_FILES.ipv6, NODE_CONF, NODE_JSON],
                        nat: [FIREWALL_FILES.ipv4, FIREWALL_FILES.ipv6, NODE_CONF, NODE_JSON],
                        gateway: ike,
                        roadwarrior: ike,
                    }[n.role];
                    expect(paths, n.name).to.deep.equal([...expected].sort());
                    expect(paths).to.not.include(SECRETS_CONF);
                    // Data only: nothing a node is given is executable; the program is the image's.
                    expect(renderNodeFiles(n, plan).map((f) => f.mode).filter((m) => m !== "0644")).to.deep.equal([]);
                }
            });

            it("renders byte-identical files from identical input (a fresh plan included)", () => {
                const again = planOf(stack, (raw) => { for (const t of Object.values(raw.tunnels ?? {})) (t as { auth: string }).auth = "psk"; });
                for (const n of plan.nodes) {
                    const first = renderNodeFiles(n, plan);
                    expect(renderNodeFiles(node(again, n.name), again), n.name).to.deep.equal(first);
                    expect(renderNodeFiles(n, plan), n.name).to.deep.equal(first);
                }
                for (const gw of gateways) {
                    const psks = Object.fromEntries(plan.tunnels.map((t) => [t.name, `k-${t.name}`]));
                    expect(renderSecrets(gw, plan, psks)).to.deep.equal(renderSecrets(node(again, gw.name), again, { ...psks }));
                }
            });

            it("puts each PSK in the secrets file only, base64-encoded, whatever its characters", () => {
                const psks = Object.fromEntries(plan.tunnels.map((t) => [t.name, `Zq9#${t.name}"; secret = x } {'\\\n${"\u00e9"}`]));
                for (const gw of gateways) {
                    const secrets = renderSecrets(gw, plan, psks);
                    expect(secrets.path).to.equal(SECRETS_CONF);
                    expect(secrets.mode).to.equal("0600");
                    const tree = at(parseSettings(secrets.content), "secrets");
                    const mine = plan.tunnels.filter((t) => t.ends.some((e) => e.gateway === gw.name));
                    expect(Object.keys(tree)).to.deep.equal(mine.map((t) => `ike-${t.name}`));
                    for (const t of mine) {
                        const local = t.ends.find((e) => e.gateway === gw.name)!;
                        const remote = t.ends.find((e) => e.gateway !== gw.name)!;
                        const entry = at(tree, `ike-${t.name}`);
                        expect(entry["id-1"]).to.equal(local.address);
                        expect(entry["id-2"]).to.equal(remote.address);
                        const secret = entry.secret as string;
                        expect(secret.startsWith("0s")).to.equal(true);
                        expect(Buffer.from(secret.slice(2), "base64").toString("utf8")).to.equal(psks[t.name]);
                    }
                }
                const everything = plan.nodes.flatMap((n) => renderNodeFiles(n, plan)).map((f) => f.content).join("\n");
                for (const psk of Object.values(psks)) {
                    expect(everything).to.not.include(psk.slice(0, 8));
                    expect(everything).to.not.include(Buffer.from(psk, "utf8").toString("base64"));
                }
            });

            it("runs a default-deny firewall on strict gateways: the WAN carries only IKE/ESP with the peers", () => {
                for (const gw of gateways) {
                    for (const family of ["ipv4", "ipv6"] as const) {
                        const { filter } = firewall(plan, gw.name, family);
                        expect(filter.policies, `${gw.name} ${family}`).to.deep.equal({ INPUT: "DROP", FORWARD: "DROP", OUTPUT: "DROP" });
                        const peers = gw.gateway!.peers.filter((p) => p.family === family).map((p) => p.address);
                        for (const rule of wanAccepts(filter.rules, gw.gateway!.wan)) {
                            const ike = /^-A (INPUT -i isp -s|OUTPUT -o isp -d) (\S+)\/(32|128) -p (udp -m multiport --[ds]ports 500,4500|esp) -j ACCEPT$/.exec(rule);
                            const protectedTraffic = / -m policy --dir (in|out) --pol ipsec -j ACCEPT$/.test(rule);
                            const nd = / -p ipv6-icmp -m icmp6 --icmpv6-type 13[3-6] -j ACCEPT$/.test(rule);
                            expect(Boolean(ike) || protectedTraffic || nd, `unexpected WAN rule on ${gw.name}: ${rule}`).to.equal(true);
                            if (ike) expect(peers, rule).to.include(ike[2]);
                        }
                        // IKE in and out, ESP in and out, for every peer of the family.
                        const ikeRules = wanAccepts(filter.rules, "isp").filter((r) => / -[sd] /.test(r));
                        expect(ikeRules, `${gw.name} ${family}`).to.have.length(4 * peers.length);
                        // Forwarding: LAN <-> tunnel (both dataplanes) and replies; nothing plainly LAN -> WAN.
                        const forward = filter.rules.filter((r) => r.startsWith("-A FORWARD"));
                        expect(forward).to.include.members([
                            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                            "-A FORWARD -i lan -o ipsec0 -j ACCEPT",
                            "-A FORWARD -i ipsec0 -o lan -j ACCEPT",
                            "-A FORWARD -i lan -o isp -m policy --dir out --pol ipsec -j ACCEPT",
                            "-A FORWARD -i isp -o lan -m policy --dir in --pol ipsec -j ACCEPT",
                        ]);
                        expect(forward).to.not.include("-A FORWARD -i lan -o isp -j ACCEPT");
                        expect(forward.filter((r) => r.includes("-i isp") && !r.includes("--pol ipsec"))).to.deep.equal([]);
                    }
                }
            });

            it("lets the router forward everything and masquerade nothing (no uplink)", () => {
                for (const family of ["ipv4", "ipv6"] as const) {
                    const tables = firewall(plan, "router", family);
                    expect(tables.filter.policies).to.deep.equal({ INPUT: "ACCEPT", FORWARD: "ACCEPT", OUTPUT: "ACCEPT" });
                    expect(tables.filter.rules).to.deep.equal([]);
                    expect(tables.nat).to.equal(undefined);
                }
                expect(recordsOf(plan, "router", "uplink")).to.deep.equal([]);
            });

            it("finds every interface by Docker's IPv4 address, never by eth0/eth1", () => {
                for (const n of plan.nodes) {
                    const conf = file(renderNodeFiles(n, plan), NODE_CONF);
                    expect(conf, n.name).to.not.match(/\beth\d/);
                    const interfaces = records(n, plan).filter((r) => r[0] === "interface");
                    expect(interfaces.map((r) => [r[1], r[2].split("/")[0]]), n.name).to.deep.equal(n.interfaces.map((i) => [i.name, i.docker.ipv4]));
                    for (const r of records(n, plan).filter((r) => r[0] === "route")) {
                        expect(interfaces.map((i) => i[1]), `${n.name}: ${r.join(" ")} leaves by a lab interface`).to.include(r[4]);
                    }
                }
                // The program: a name for each Docker address, then renamed; nothing by a fixed name.
                expect(START_PROGRAM).to.not.match(/\beth\d/);
                expect(shellFunction("step_interfaces")).to.include('name_interface "${IF_NAME[$i]}" "${IF_DOCKER4[$i]%/*}"');
                expect(shellFunction("name_interface")).to.include('found=${DOCKER_DEV[$docker]:-}');
                expect(shellFunction("snapshot_ipv4")).to.include("ip -o -4 addr show");
            });

            it("holds each node's facts: interfaces with Docker's and the lab's addresses, routes, gateway and service records", () => {
                const prefix = (cidr: string) => cidr.split("/")[1];
                for (const n of plan.nodes) {
                    const all = records(n, plan);
                    const of = (kind: string) => all.filter((r) => r[0] === kind).map((r) => r.slice(1));
                    expect(all[0], n.name).to.deep.equal(["format", NODE_CONF_FORMAT]);
                    expect(of("node")).to.deep.equal([[n.name]]);
                    expect(of("role")).to.deep.equal([[n.role]]);
                    expect(of("message")).to.deep.equal([["ready", READY_MESSAGE], ["failed", FAILED_MESSAGE]]);
                    expect(of("interface"), n.name).to.deep.equal(n.interfaces.map((i) => {
                        const segment = plan.segments.find((s) => s.key === i.segment)!;
                        const lab = (a: { address: string; prefixLength: number } | undefined) => (a ? `${a.address}/${a.prefixLength}` : "-");
                        return [
                            i.name,
                            `${i.docker.ipv4}/${prefix(segment.docker.ipv4.subnet)}`,
                            i.docker.ipv6 ? `${i.docker.ipv6}/${prefix(segment.docker.ipv6!.subnet)}` : "-",
                            lab(i.addresses.ipv4),
                            lab(i.addresses.ipv6),
                        ];
                    }));
                    expect(of("address"), n.name).to.deep.equal(n.interfaces.flatMap((i) => i.extraAddresses.map((e) => [i.name, e.family, `${e.address}/${e.prefixLength}`])));
                    expect(of("route"), n.name).to.deep.equal(n.routes.map((r) => [r.family, r.destination, r.via, r.interface]));
                    expect(of("instance"), n.name).to.deep.equal(n.instances.map((i) => [i.service, String(i.port), i.label]));
                    const paths = Object.fromEntries(of("path"));
                    expect(paths).to.include({ log: START_LOG, ready: READY_FILE });
                    // Step 1 only where there is a firewall: gateways and the router.
                    const walled = n.role === "gateway" || n.role === "router";
                    expect(of("firewall"), n.name).to.deep.equal(walled ? [["ipv4", FIREWALL_FILES.ipv4], ["ipv6", FIREWALL_FILES.ipv6]] : []);
                    // Step 5 on gateways only, with every path charon's start needs.
                    expect(of("ipsec"), n.name).to.deep.equal(n.role === "gateway" ? [[LIBIPSEC_TUN]] : []);
                    if (n.role === "gateway") {
                        expect(paths).to.deep.include({
                            dataplane: DATAPLANE_FILE, "strongswan-conf": STRONGSWAN_CONF, "strongswan-conf-kernel": strongswanConfPath("kernel"),
                            "strongswan-conf-libipsec": strongswanConfPath("libipsec"), charon: CHARON, "charon-log": CHARON_LOG, "charon-pid": CHARON_PID, vici: CHARON_VICI,
                        });
                        expect(of("tunnel"), n.name).to.deep.equal(gatewayTunnels(n, plan).map((t) => [
                            t.tunnel.name, t.initiator ? "initiator" : "responder", t.remote.address, startAction(t), t.tunnel.mode,
                        ]));
                        expect(of("dataplane"), n.name).to.deep.equal([[plan.dataplane]]);
                        expect(of("tunnel").length).to.be.greaterThan(0);
                    } else {
                        expect(Object.keys(paths).sort(), n.name).to.deep.equal(["log", "ready"]);
                        expect(of("tunnel")).to.deep.equal([]);
                        expect(of("dataplane")).to.deep.equal([]);
                        expect(of("ike-rule")).to.deep.equal([]);
                    }
                    // Every field one word: the program reads fields split on single spaces.
                    for (const line of file(renderNodeFiles(n, plan), NODE_CONF).split("\n").filter((l) => l && !l.startsWith("#"))) {
                        expect(line, n.name).to.match(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/);
                    }
                }
            });

            it("runs the steps in order, the firewall first and the ready line last, and never writes /proc/sys", () => {
                const main = START_PROGRAM.slice(START_PROGRAM.indexOf("# ---------------------------------------------------------------- main"));
                const order = ["read_conf", "step_firewall", "step_interfaces", "step_addresses", "step_routes", "step_ipsec", "step_services",
                    `: >"\${PATHS[ready]}"`, 'log "$READY_MESSAGE"', "wait -n"];
                const positions = order.map((s) => main.indexOf(s));
                expect(positions.every((p) => p > 0), order.filter((_, i) => positions[i] <= 0).join(", ")).to.equal(true);
                expect(positions).to.deep.equal([...positions].sort((x, y) => x - y));
                const steps = [...START_PROGRAM.matchAll(/log "step (\d):/g)].map((m) => Number(m[1]));
                expect(steps).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
                expect(START_PROGRAM.startsWith("#!/bin/bash\n")).to.equal(true);
                expect(START_PROGRAM).to.include("set -Eeuo pipefail\n");
                expect(START_PROGRAM).to.not.match(/>\s*\/proc\/sys|sysctl -w/);
                // The log line verify/ready.ts waits for: "<time> vnetlab[<node>] <message>", time in UTC.
                expect(shellFunction("log")).to.include(`printf -v line '%(%Y-%m-%dT%H:%M:%SZ)T vnetlab[%s] %s\\n' -1 "$NODE" "$*"`);
                expect(START_PROGRAM).to.include("export TZ=UTC0\n");
            });

            it("picks the dataplane at run time and loads swanctl after charon's socket is up (gateways)", () => {
                for (const gw of gateways) {
                    expect(records(gw, plan).filter((r) => r[0] === "path" && r[1] === "dataplane"), gw.name).to.deep.equal([["path", "dataplane", DATAPLANE_FILE]]);
                }
                const body = shellFunction("step_ipsec");
                const order = ["kernel_takes_esp", 'printf \'%s\\n\' "$DATAPLANE" >"${PATHS[dataplane]}"', 'run ln -sf "${PATHS[strongswan-conf-$DATAPLANE]}" "${PATHS[strongswan-conf]}"',
                    'spawn "${PATHS[charon]}"', '[ -S "$vici" ] && break', 'out=$(swanctl --load-all --noprompt 2>&1) || rc=$?', 'log "tunnel ${TUNNEL_NAME[$i]}'];
                const positions = order.map((s) => body.indexOf(s));
                expect(positions.every((p) => p > 0), order.filter((_, i) => positions[i] <= 0).join(", ")).to.equal(true);
                expect(positions).to.deep.equal([...positions].sort((x, y) => x - y));
                // The lab's setting, unless the environment overrides it.
                expect(body).to.include('if [ -n "${VNETLAB_DATAPLANE:-}" ]; then wanted=$VNETLAB_DATAPLANE by=VNETLAB_DATAPLANE; fi');
                // Refused (111) while charon binds but does not yet listen: tried again, any other failure stops the node.
                expect(body).to.include('[ "$rc" -eq 111 ] || break');
                expect(body).to.include('[ "$rc" -eq 0 ] || die "swanctl --load-all exited $rc"');
                expect(shellFunction("kernel_takes_esp")).to.include("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp");
            });
        });
    }

    // ---- strongswan.conf, options, errors ---------------------------------------------------------

    describe("strongswan.conf", () => {
        const libipsec = parseSettings(renderStrongswanConf("libipsec"));
        const kernel = parseSettings(renderStrongswanConf("kernel"));

        it("uses kernel-libipsec ahead of kernel-netlink, with peer TS allowed and IKE marked past the tunnel routes", () => {
            const load = (at(libipsec, "charon").load as string).split(" ");
            expect(load).to.include.members(["kernel-libipsec", "kernel-netlink", "socket-default", "vici", "openssl"]);
            expect(load.indexOf("kernel-libipsec")).to.be.lessThan(load.indexOf("kernel-netlink"));
            expect(at(libipsec, "charon", "plugins", "kernel-libipsec").allow_peer_ts).to.equal("yes");
            expect(at(libipsec, "charon", "plugins", "kernel-netlink").fwmark).to.equal("!0x42");
            expect(at(libipsec, "charon", "plugins", "socket-default").fwmark).to.equal("0x42");
        });

        it("leaves kernel-libipsec and the marks out of the kernel dataplane's file", () => {
            expect((at(kernel, "charon").load as string).split(" ")).to.not.include("kernel-libipsec");
            expect(at(kernel, "charon")).to.not.have.property("plugins");
        });

        it("logs to a file and to stderr, not to syslog", () => {
            for (const conf of [libipsec, kernel]) {
                expect(at(conf, "charon", "filelog", "charon").path).to.equal("/var/log/charon.log");
                expect(at(conf, "charon", "filelog", "stderr").default).to.equal("1");
                expect(at(conf, "charon", "syslog", "daemon").default).to.equal("-1");
            }
        });

        it("never sets encap: kernel-libipsec forces UDP encapsulation itself, the kernel dataplane sends plain ESP", () => {
            for (const stack of STACKS) {
                const plan = planOf(stack);
                for (const gw of plan.nodes.filter((n) => n.role === "gateway")) {
                    expect(file(renderNodeFiles(gw, plan), SWANCTL_CONF)).to.not.match(/^\s*encap\s*=/m);
                }
            }
        });
    });

    describe("options and errors", () => {
        it("opens an open gateway completely but keeps its NAT", () => {
            const plan = planOf("site-to-site", (raw) => { raw.sites.a.gateway.firewall = "open"; });
            const tables = firewall(plan, "gateway-a", "ipv4");
            expect(tables.filter.policies).to.deep.equal({ INPUT: "ACCEPT", FORWARD: "ACCEPT", OUTPUT: "ACCEPT" });
            expect(tables.filter.rules).to.deep.equal([]);
            expect(tables.nat.rules.some((r) => r.includes("DNAT"))).to.equal(true);
            expect(firewall(plan, "gateway-b", "ipv4").filter.policies.INPUT).to.equal("DROP");
        });

        it("leaves masquerade out when the gateway does not masquerade", () => {
            const plan = planOf("site-to-site", (raw) => { raw.sites.a.gateway.masquerade = false; });
            expect(firewall(plan, "gateway-a", "ipv4").nat.rules.filter((r) => r.startsWith("-A POSTROUTING"))).to.deep.equal([]);
        });

        it("masquerades out the router's uplink only when it is opted in, and names that interface by elimination", () => {
            const plan = planOf("dev", (raw) => { raw.router = { uplink: true }; });
            const tables = firewall(plan, "router", "ipv4");
            expect(tables.nat.rules).to.deep.equal(["-A POSTROUTING -o uplink -j MASQUERADE"]);
            expect(firewall(plan, "router", "ipv6").nat).to.equal(undefined);
            expect(recordsOf(plan, "router", "uplink")).to.deep.equal([["uplink", "uplink"]]);
            // By elimination: the program renames the one IPv4 interface that is neither lo nor a lab interface.
            expect(shellFunction("name_uplink")).to.include('lab=" lo ${IF_NAME[*]} "');
            expect(shellFunction("step_routes")).to.include('run ip -4 route replace default via "$UPLINK_VIA" dev "$UPLINK"');
        });

        it("refuses secrets for a non-gateway or a tunnel without a PSK", () => {
            const plan = planOf("host-to-host", (raw) => { raw.tunnels["a-s"].auth = "psk"; raw.tunnels["b-s"].auth = "psk"; });
            expect(() => renderSecrets(node(plan, "client-a1"), plan, { "a-s": "x" })).to.throw(/only gateways/);
            expect(() => renderSecrets(node(plan, "gateway-s"), plan, { "a-s": "x" })).to.throw(/no PSK for tunnel b-s/);
        });

        it("refuses a node config field that is empty or holds a space, rather than write a record the program would misread", () => {
            const plan = planOf("dev");
            const client = node(plan, "client-a1");
            const lan = client.interfaces[0];
            const broken = { ...client, routes: [{ ...client.routes[0], interface: "lan x" }] };
            expect(() => renderNodeConf(broken, plan)).to.throw(/client-a1: node config record "route .*lan x"/);
            const empty = { ...client, interfaces: [{ ...lan, name: "" }] };
            expect(() => renderNodeConf(empty, plan)).to.throw(/empty or not printable/);
        });

        it("refuses a node that is not in the lab", () => {
            const plan = planOf("dev");
            const other = node(planOf("host-to-host"), "client-b1");
            expect(() => renderNodeFiles(other, plan)).to.throw(/not a node of lab/);
        });

        it("fails the start of an IPv6 gateway on kernel-libipsec when the container keeps IPv6 off for new devices", () => {
            expect(recordsOf(planOf("site-to-site-ipv6"), "gateway-a", "ipsec-ipv6")).to.deep.equal([["ipsec-ipv6"]]);
            expect(recordsOf(planOf("site-to-site"), "gateway-a", "ipsec-ipv6")).to.deep.equal([]);
            const body = shellFunction("step_ipsec");
            expect(body).to.include('if [ "$IPSEC_IPV6" = yes ]; then');
            expect(body).to.include("run the container with --sysctl net.ipv6.conf.default.disable_ipv6=0");
        });

        it("keeps the gateway's own IKE flows out of the tunnel routes for strict rp_filter (IPv4 WAN only)", () => {
            expect(IKE_RULE_PREF).to.equal(219);
            expect(recordsOf(planOf("host-to-host"), "gateway-s", "ike-rule")).to.deep.equal([
                ["ike-rule", "219", "172.30.30.30", "500"],
                ["ike-rule", "219", "172.30.30.30", "4500"],
            ]);
            expect(recordsOf(planOf("site-to-site-ipv6"), "gateway-s", "ike-rule")).to.deep.equal([]);
            // Only on libipsec, and idempotent (a stale rule goes first).
            const body = shellFunction("step_ipsec");
            expect(body).to.include('local rule=(pref "${IKE_RULE_PREF[$i]}" from "${IKE_RULE_FROM[$i]}" ipproto udp sport "${IKE_RULE_SPORT[$i]}" lookup main)');
            expect(body.indexOf('if [ "$DATAPLANE" = libipsec ]; then')).to.be.lessThan(body.indexOf("run ip -4 rule add"));
        });
    });
});
