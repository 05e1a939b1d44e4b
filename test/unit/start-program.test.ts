// The image's start program (image/vnetlab-start): linted by shellcheck,
// installed where the containers' command expects it, and run here against
// rendered node configs with stand-ins for ip, iptables, charon and swanctl,
// so that what it does with a config is checked without an engine.
import { expect } from "chai";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { loadStackLab } from "../../model/stack-file";
import { parseLab } from "../../model/validate";
import { planLab } from "../../plan/plan";
import type { LabPlan, NodePlan } from "../../plan/types";
import { BUNDLE_PATH, NODE_CONF, START_COMMAND, START_SCRIPT, UNPACK_SCRIPT, renderNodeConf } from "../../configs";

const ROOT = path.join(__dirname, "../..");
const PROGRAM = path.join(ROOT, "image/vnetlab-start");

/** Every shell script of the image, of scripts/ and of .ci/, by its shebang. */
function shellScripts(): string[] {
    const dirs = ["image", "scripts", ".ci"].map((d) => path.join(ROOT, d));
    return dirs.flatMap((dir) => fs.readdirSync(dir).map((f) => path.join(dir, f)))
        .filter((f) => fs.statSync(f).isFile() && /^#!\s*\/(usr\/)?bin\/(env\s+)?(ba)?sh\b/.test(fs.readFileSync(f, "utf8").slice(0, 64)));
}

describe("the image's start program", () => {
    it("is clean under shellcheck, every severity (install it: bash scripts/setup-lint.sh)", function () {
        this.timeout(60000);
        const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) {
            throw new Error("shellcheck is not installed: run `bash scripts/setup-lint.sh` (or `apt-get install -y shellcheck`); the start program must not go unlinted");
        }
        const scripts = shellScripts();
        expect(scripts.map((s) => path.relative(ROOT, s))).to.include("image/vnetlab-start")
            .and.not.include("image/vnetlab-unpack", "Python, like vnetlab-probe: shellcheck would read it as a shell script");
        const run = spawnSync("shellcheck", ["--severity=style", "--external-sources", ...scripts], { encoding: "utf8", cwd: ROOT });
        expect(run.status, `shellcheck found problems:\n${run.stdout}${run.stderr}`).to.equal(0);
    });

    it("is installed where the containers' command runs it, fed the node config", () => {
        const dockerfile = fs.readFileSync(path.join(ROOT, "image/Dockerfile"), "utf8");
        expect(dockerfile).to.match(new RegExp(`^COPY vnetlab-start ${path.posix.dirname(START_SCRIPT)}/$`, "m"));
        expect(dockerfile).to.include(`RUN chmod 0755 ${START_SCRIPT}\n`);
        // The node's files are unpacked first; the unpacker then execs the start program with the same config.
        expect(START_COMMAND).to.deep.equal([UNPACK_SCRIPT, BUNDLE_PATH, "--", START_SCRIPT, NODE_CONF]);
        expect(dockerfile).to.include(`CMD ${JSON.stringify(START_COMMAND).replace(/","/g, '", "')}\n`);
        expect(fs.statSync(PROGRAM).mode & 0o111, "executable in the checkout too").to.not.equal(0);
    });

    describe("run against rendered configs, with stand-ins for the system's tools", () => {
        const planOf = (stack: string): LabPlan => planLab(parseLab(JSON.parse(JSON.stringify(loadStackLab(stack))), stack), stack);
        const nodeOf = (plan: LabPlan, name: string): NodePlan => plan.nodes.find((n) => n.name === name)!;
        const dirs: string[] = [];
        const children: ChildProcess[] = [];
        after(() => {
            for (const c of children) {
                try {
                    process.kill(-c.pid!, "SIGKILL"); // the node's whole group, stand-ins included
                } catch {
                    // already gone
                }
            }
            for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        });

        /**
         * ip with a little state: the IPv4 addresses by interface name, the links
         * (`ip -o link show` lines, where a test gives them), renames applied to
         * both, and deletions. Its monitor prints a line for each line a test
         * appends to $FAKE/events.
         */
        const FAKE_IP = String.raw`#!/bin/bash
printf 'ip %s\n' "$*" >>"$FAKE/calls"
case "$*" in
    "-o monitor link address") touch "$FAKE/events"; exec tail -n +1 -f "$FAKE/events" ;;
    "-o link show") cat "$FAKE/links" 2>/dev/null || true ;;
    "-o link show dev "*) grep -E "^[0-9]+: $5[@:]" "$FAKE/links" 2>/dev/null; exit ;;
    "link del dev "*) sed -i -E "/^[0-9]+: $4[@:]/d" "$FAKE/links"; sed -i -E "/^[0-9]+: $4[@ ]/d" "$FAKE/ipv4" ;;
    "-o -4 addr show") cat "$FAKE/ipv4" ;;
    "-4 route show default") cat "$FAKE/default4" 2>/dev/null || true ;;
    "-6 route show default" | "-6 -o addr show scope global tentative") ;;
    # A kernel without ESP (this project's machines), unless FAKE_ESP=yes.
    "xfrm state add"*) [ "$FAKE_ESP" = yes ] && exit 0; echo "RTNETLINK answers: Protocol not supported" >&2; exit 1 ;;
    "link show dev "*) grep -qE "^[0-9]+: $4[@:]" "$FAKE/links" 2>/dev/null; exit ;;
    "-6 -o addr show scope link tentative") cat "$FAKE/tentative" 2>/dev/null || true ;;
    # A kernel before Linux 6.2 (FAKE_KERNEL=before-6.2) renames only a link that is down.
    "link set dev "*" down") echo "$4" >>"$FAKE/down" ;;
    "link set dev "*" name "*)
        if [ "$FAKE_KERNEL" = before-6.2 ] && ! grep -qx "$4" "$FAKE/down" 2>/dev/null; then echo "RTNETLINK answers: Device or resource busy" >&2; exit 2; fi
        sed -i -E "s/^([0-9]+: )$4(@[^ ]*)? /\1$6 /" "$FAKE/ipv4"
        sed -i -E "s/^([0-9]+: )$4(@[^ :]*)?: /\1$6\2: /" "$FAKE/links" 2>/dev/null || true ;;
esac
case " $* " in *" $FAKE_FAIL "*) echo "RTNETLINK answers: File exists" >&2; exit 2 ;; esac
exit 0
`;
        const LOGGING = (name: string) => `#!/bin/bash\nprintf '${name} %s\\n' "$*" >>"$FAKE/calls"\n`;
        /** charon: opens its VICI socket (the path the config gave) and stays until TERM. */
        const FAKE_CHARON = `#!/usr/bin/python3
import os, signal, socket, sys
open(os.environ["FAKE"] + "/calls", "a").write("charon\\n")
open(os.environ["FAKE"] + "/charon.pid", "w").write(str(os.getpid()))
s = socket.socket(socket.AF_UNIX); s.bind(os.environ["FAKE_VICI"]); s.listen(1)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pause()
`;

        /** The link watcher's ip, which starts in the background just before ready: not in a fixed place among the calls. */
        const MONITOR = "ip -o monitor link address";
        interface Started { readonly calls: () => string[]; readonly monitored: () => boolean; readonly out: () => string; readonly child: ChildProcess; readonly dir: string; readonly done: Promise<number | null> }

        /** Renders the node's config with its paths moved into a scratch directory and starts the program on it. */
        function start(plan: LabPlan, name: string, options: {
            ipv4: string; default4?: string; fail?: string; edit?: (conf: string) => string; env?: Record<string, string>;
            /** What `ip -6 -o addr show scope link tentative` prints. */
            tentative?: string;
        }): Started {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-start-"));
            dirs.push(dir);
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            const write = (file: string, text: string, mode = 0o755) => fs.writeFileSync(path.join(bin, file), text, { mode });
            write("ip", FAKE_IP);
            for (const tool of ["iptables-restore", "ip6tables-restore", "conntrack"]) write(tool, LOGGING(tool));
            // The services run until they are stopped (the real one listens; the test listens for it).
            write("vnetlab-service", `${LOGGING("vnetlab-service")}exec sleep infinity\n`);
            // --initiate hears nothing the first FAKE_DIAL_SILENT times (a peer whose charon is not up yet
            // drops the request), then fails FAKE_DIAL_FAILURES times (one without its config answers NO_PROPOSAL_CHOSEN).
            write("swanctl", `${LOGGING("swanctl")}case "$1" in
    --initiate) n=$(cat "$FAKE/dials" 2>/dev/null || echo 0); echo $((n + 1)) >"$FAKE/dials"
        if [ "$n" -lt "\${FAKE_DIAL_SILENT:-0}" ]; then echo "[IKE] initiating IKE_SA"; exec sleep 5; fi
        if [ -n "\${FAKE_DIAL_SLOW:-}" ]; then echo "[NET] received packet: from 192.168.0.1[500]"; sleep "$FAKE_DIAL_SLOW"; echo "[IKE] IKE_SA established"; fi
        if [ "$n" -lt "$((\${FAKE_DIAL_SILENT:-0} + \${FAKE_DIAL_FAILURES:-0}))" ]; then echo "[IKE] initiating IKE_SA"; echo "initiate failed: establishing CHILD_SA failed" >&2; exit 1; fi ;;
    *) echo "loaded connection 'x'" ;;
esac
`);
            write("charon", FAKE_CHARON);
            fs.writeFileSync(path.join(dir, "ipv4"), options.ipv4);
            if (options.default4) fs.writeFileSync(path.join(dir, "default4"), options.default4);
            if (options.tentative) fs.writeFileSync(path.join(dir, "tentative"), options.tentative);
            // The config is data: its paths point wherever the reader wants them.
            let conf = renderNodeConf(nodeOf(plan, name), plan).replace(/^path (\S+) \/\S*$/gm, (_, key: string) => `path ${key} ${dir}/${key === "charon" ? "bin/charon" : `run/${key}`}`);
            conf = options.edit ? options.edit(conf) : conf;
            fs.writeFileSync(path.join(dir, "node.conf"), conf);
            fs.writeFileSync(path.join(dir, "calls"), "");
            let out = "";
            // A process group of its own, as in a container: tini -g signals the whole group.
            const child = spawn("bash", [PROGRAM, path.join(dir, "node.conf")], {
                env: { PATH: `${bin}:${process.env.PATH}`, FAKE: dir, FAKE_VICI: `${dir}/run/vici`, FAKE_FAIL: options.fail ?? "no-such-word", ...options.env },
                detached: true,
            });
            children.push(child);
            child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
            child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
            const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
            return { calls: () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").filter((c) => c !== MONITOR), monitored: () => fs.readFileSync(path.join(dir, "calls"), "utf8").includes(MONITOR), out: () => out, child, dir, done };
        }
        /**
         * What `docker stop` does through tini -g: SIGTERM to the node's whole
         * process group. Resolves with how the program (or what stands in for
         * it once the node is up) ended, once no process of the group is left.
         */
        async function stop(started: Started): Promise<string> {
            const ended = new Promise<string>((resolve) => started.child.on("exit", (code, signal) => resolve(signal ?? `exit ${code}`)));
            // A node that said ready hands over to a watcher (exec) a moment later; a SIGTERM
            // before that meets the program's own handler, which ends it with exit 0 instead.
            const comm = () => { try { return fs.readFileSync(`/proc/${started.child.pid}/comm`, "utf8").trim(); } catch { return ""; } };
            for (let i = 0; i < 250 && comm() === "bash"; i++) await new Promise((r) => setTimeout(r, 20));
            process.kill(-started.child.pid!, "SIGTERM");
            const how = await ended;
            for (let i = 0; i < 100; i++) {
                if (liveInGroup(started.child.pid!).length === 0) return how;
                await new Promise((r) => setTimeout(r, 20));
            }
            throw new Error(`processes of the node's group outlived SIGTERM: ${liveInGroup(started.child.pid!).join("; ")}`);
        }
        /**
         * The processes of a group that still run. Zombies do not count: they
         * have ended, and wait for whoever adopted them to reap them (in a
         * container tini does at once; on this host the init of the machine,
         * which takes its time, adopts what outlived the node's first process).
         */
        function liveInGroup(pgid: number): string[] {
            const live: string[] = [];
            for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
                let stat: string;
                try {
                    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
                } catch {
                    continue; // gone meanwhile
                }
                const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
                if (Number(group) === pgid && state !== "Z") live.push(`${pid} ${stat.slice(stat.indexOf("("), stat.lastIndexOf(")") + 1)} ${state}`);
            }
            return live;
        }
        async function until(started: Started, pattern: RegExp, ms = 10000): Promise<void> {
            const deadline = Date.now() + ms;
            while (!pattern.test(started.out())) {
                if (Date.now() > deadline || started.child.exitCode !== null) throw new Error(`no ${pattern} in:\n${started.out()}`);
                await new Promise((r) => setTimeout(r, 20));
            }
        }
        const addrLine = (index: number, dev: string, cidr: string) => `${index}: ${dev}@if${index + 10}    inet ${cidr} brd 0.0.0.0 scope global ${dev}\\       valid_lft forever preferred_lft forever\n`;

        it("configures a gateway in the planned order: firewall, names by Docker's address, lab addresses, routes, IPsec; logs ready; stops on SIGTERM", async function () {
            this.timeout(20000);
            const plan = planOf("host-to-host");
            const gw = nodeOf(plan, "gateway-a");
            const lan = gw.interfaces.find((i) => i.name === "lan")!;
            const isp = gw.interfaces.find((i) => i.name === "isp")!;
            // Docker attached the ISP network first: eth0 is the ISP side, not the LAN.
            const run = start(plan, "gateway-a", { ipv4: addrLine(1, "lo", "127.0.0.1/8") + addrLine(2, "eth0", `${isp.docker.ipv4}/24`) + addrLine(3, "eth1", `${lan.docker.ipv4}/24`) });
            await until(run, /\] ready\n/);
            expect(run.calls()).to.deep.equal([
                `iptables-restore /etc/vnetlab/firewall.v4`,
                `ip6tables-restore /etc/vnetlab/firewall.v6`,
                "ip -o -4 addr show",
                // Renamed while up, one message each (Linux 6.2 and later): never down and up again.
                "ip link set dev eth1 name lan",
                // Docker's names stay as altnames, by which its disconnect finds the links.
                "ip link property add dev lan altname eth1",
                "ip link set dev eth0 name isp",
                "ip link property add dev isp altname eth0",
                "ip -6 -o addr show scope link tentative",
                `ip -4 addr del ${lan.docker.ipv4}/24 dev lan`,
                "ip -4 addr replace 10.1.0.1/16 dev lan",
                "ip -4 addr replace 10.1.0.99/16 dev lan",
                "ip -4 addr replace 172.16.16.16/24 dev isp",
                "ip -4 route show default",
                "ip -6 route show default",
                "ip -4 route replace default via 172.16.16.1 dev isp",
                `ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7e57ab1e reqid 1 mode tunnel aead rfc4106(gcm(aes)) 0x${"0".repeat(72)} 128`,
                "ip -4 rule del pref 219 from 172.16.16.16 ipproto udp sport 500 lookup main",
                "ip -4 rule add pref 219 from 172.16.16.16 ipproto udp sport 500 lookup main",
                "ip -4 rule del pref 219 from 172.16.16.16 ipproto udp sport 4500 lookup main",
                "ip -4 rule add pref 219 from 172.16.16.16 ipproto udp sport 4500 lookup main",
                "charon",
                "swanctl --load-all --noprompt",
            ]);
            const log = run.out();
            expect(log).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ vnetlab\[gateway-a\] starting gateway-a \(gateway\)$/m);
            expect(log).to.include("vnetlab[gateway-a] dataplane=libipsec (the kernel refuses an ESP SA: userspace kernel-libipsec)\n");
            expect(log).to.include("vnetlab[gateway-a] tunnel a-s: initiator toward 172.30.30.30, start_action=trap, mode=tunnel\n");
            expect(fs.readFileSync(path.join(run.dir, "run/dataplane"), "utf8")).to.equal("libipsec\n");
            expect(fs.readlinkSync(path.join(run.dir, "run/strongswan-conf"))).to.equal(path.join(run.dir, "run/strongswan-conf-libipsec"));
            expect(fs.existsSync(path.join(run.dir, "run/ready"))).to.equal(true);
            expect(fs.readFileSync(path.join(run.dir, "run/log"), "utf8")).to.equal(log.split("\n").filter((l) => / vnetlab\[/.test(l)).join("\n") + "\n");
            // Up, the program has handed over to a small watcher of charon; SIGTERM ends both (tini -e 143 makes it exit 0).
            expect(await stop(run)).to.equal("SIGTERM");
        });

        /** A link as `ip -o link show` prints it, up or down, with its altnames. */
        const linkLine = (index: number, dev: string, up: boolean, altnames: readonly string[] = []) =>
            `${index}: ${dev}@if${index + 10}: <BROADCAST,MULTICAST${up ? ",UP,LOWER_UP" : ""}> mtu 1500 qdisc noqueue state ${up ? "UP" : "DOWN"} group default \\    link/ether 02:42:ac:1a:1a:1a brd ff:ff:ff:ff:ff:ff link-netnsid 0${altnames.map((a) => `\\    altname ${a}`).join("")}\n`;

        it("follows Docker's disconnect and connect of a link once up: deletes what Docker could not move out, names, addresses and routes what it brought back", async function () {
            this.timeout(30000);
            const plan = planOf("site-to-site");
            const gw = nodeOf(plan, "gateway-a");
            const isp = gw.interfaces.find((i) => i.name === "isp")!;
            const lan = gw.interfaces.find((i) => i.name === "lan")!;
            const run = start(plan, "gateway-a", { ipv4: addrLine(2, "eth0", `${isp.docker.ipv4}/24`) + addrLine(3, "eth1", `${lan.docker.ipv4}/16`) });
            fs.writeFileSync(path.join(run.dir, "links"), linkLine(2, "eth0", true) + linkLine(3, "eth1", true));
            await until(run, /\] ready\n/);
            for (let i = 0; i < 250 && !run.monitored(); i++) await new Promise((r) => setTimeout(r, 20));
            expect(run.monitored(), "the link watcher's ip monitor runs").to.equal(true);
            expect(run.out()).to.include("vnetlab[gateway-a] watching links: Docker's disconnect and connect are followed (vnetlab-start --relink)\n");
            const file = (name: string) => path.join(run.dir, name);
            const event = () => fs.appendFileSync(file("events"), "event\n");
            const before = run.calls().length;

            // docker network disconnect: Docker found isp by its altname, took it down and renamed it, and could not move it out.
            fs.writeFileSync(file("links"), linkLine(3, "lan", true, ["eth1"]) + linkLine(2, "veth1234", false, ["eth0"]));
            fs.writeFileSync(file("ipv4"), addrLine(3, "lan", `${lan.addresses.ipv4!.address}/16`) + addrLine(2, "veth1234", `${isp.docker.ipv4}/24`));
            event();
            await until(run, /link veth1234: Docker took it off its network but could not move it out of the node; deleting it\n/);
            await until(run, /\+ ip link del dev veth1234\n/);
            for (let i = 0; i < 250 && fs.readFileSync(file("links"), "utf8").includes("veth1234"); i++) await new Promise((r) => setTimeout(r, 20));
            expect(fs.readFileSync(file("links"), "utf8")).to.not.include("veth1234");

            // docker network connect: a new eth2 with Docker's address, down at first, then up.
            fs.appendFileSync(file("links"), linkLine(4, "eth2", false));
            fs.appendFileSync(file("ipv4"), addrLine(4, "eth2", `${isp.docker.ipv4}/24`));
            event();
            await until(run, /link eth2 holds Docker's [\d.]+ for isp, not up yet\n/);
            fs.writeFileSync(file("links"), linkLine(3, "lan", true, ["eth1"]) + linkLine(4, "eth2", true));
            event();
            await until(run, /link isp: named, addressed and routed again\n/);
            expect(run.out()).to.include("vnetlab[gateway-a] link isp is back: Docker connected it as eth2\n");
            const relinked = run.calls().slice(before).filter((c) => /^ip (link (set|property|del)|-[46] (addr|route) (replace|del))/.test(c));
            expect(relinked).to.deep.equal([
                "ip link del dev veth1234",
                "ip link set dev eth2 name isp",
                "ip link property add dev isp altname eth2",
                `ip -4 addr replace ${isp.addresses.ipv4!.address}/24 dev isp`,
                `ip -4 route replace default via ${gw.routes.find((r) => r.destination === "default")!.via} dev isp`,
            ]);
            // A change that is none of Docker's: nothing done, and no failure.
            const settled = run.calls().length;
            event();
            await new Promise((r) => setTimeout(r, 1500));
            expect(run.calls().slice(settled).filter((c) => !/^ip (-o|-4 -o|-o -4) /.test(c) && !c.startsWith("ip -o")), run.calls().slice(settled).join("\n")).to.deep.equal([]);
            expect(run.out()).to.not.match(/FAILED|link watcher:/);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        const transportPlan = () => planOf("host-to-host-transport");
        const gatewayAddresses = (plan: LabPlan, name: string) =>
            nodeOf(plan, name).interfaces.map((i, n) => addrLine(n + 2, `eth${n}`, `${i.docker.ipv4}/24`)).join("");

        /** Road warrior carol of the roadwarriors lab, once ready, with the fake swanctl's dial behaviour set by `env`. */
        const carolReady = async (env: Record<string, string>) => {
            const plan = planOf("roadwarriors");
            const run = start(plan, "carol", { ipv4: gatewayAddresses(plan, "carol"), env });
            await until(run, /\] ready\n/);
            return run;
        };

        it("dials a road warrior's tunnel before ready, dropping each half-open attempt, until its gateway answers", async function () {
            this.timeout(20000);
            const run = await carolReady({ FAKE_DIAL_FAILURES: "2" });
            const log = run.out();
            expect(log).to.include("vnetlab[carol] tunnel carol: attempt 1 failed (exit 1): initiate failed: establishing CHILD_SA failed\n");
            expect(log).to.include("vnetlab[carol] tunnel carol: dialled (attempt 3)\n");
            expect(log.indexOf("dialled")).to.be.lessThan(log.indexOf("] ready\n"));
            const swanctl = run.calls().filter((c) => c.startsWith("swanctl"));
            expect(swanctl).to.deep.equal([
                "swanctl --load-all --noprompt",
                "swanctl --initiate --child carol --timeout 5", "swanctl --terminate --ike carol --force --timeout 1",
                "swanctl --initiate --child carol --timeout 5", "swanctl --terminate --ike carol --force --timeout 1",
                "swanctl --initiate --child carol --timeout 5",
            ]);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("drops a call that nothing answered within a quarter second, and calls again", async function () {
            this.timeout(20000);
            const run = await carolReady({ FAKE_DIAL_SILENT: "3" });
            const log = run.out();
            expect(log.match(/tunnel carol: attempt \d: [^\n]*/g)).to.deep.equal([1, 2, 3].map((i) => `tunnel carol: attempt ${i}: no answer within 250 ms`));
            expect(log).to.include("vnetlab[carol] tunnel carol: dialled (attempt 4)\n");
            // Each unanswered call's half-open IKE SA goes before the next request.
            expect(run.calls().filter((c) => c.startsWith("swanctl --terminate"))).to.have.length(3);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("lets a call the gateway answered run to its end, however long it takes", async function () {
            this.timeout(20000);
            const run = await carolReady({ FAKE_DIAL_SLOW: "0.8" });
            expect(run.out()).to.include("vnetlab[carol] tunnel carol: dialled (attempt 1)\n");
            expect(run.calls().filter((c) => c.startsWith("swanctl --terminate"))).to.deep.equal([]);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("makes a NAT router forget what it forwarded before its masquerade rules could match, before it is ready", async function () {
            this.timeout(20000);
            const plan = planOf("nat");
            const run = start(plan, "moon", { ipv4: gatewayAddresses(plan, "moon") });
            await until(run, /\] ready\n/);
            const calls = run.calls();
            expect(calls).to.include("conntrack -F");
            // After the interfaces carry the names the rules match, and after its routes.
            expect(calls.indexOf("conntrack -F")).to.be.greaterThan(calls.findIndex((c) => c.startsWith("ip link set dev") && c.endsWith("name outside")));
            expect(calls.indexOf("conntrack -F")).to.equal(calls.length - 1);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("runs a transport tunnel on the kernel's dataplane when the kernel takes an ESP SA", async function () {
            this.timeout(20000);
            const plan = transportPlan();
            const run = start(plan, "host-a", { ipv4: gatewayAddresses(plan, "host-a"), env: { FAKE_ESP: "yes" } });
            await until(run, /\] ready\n/);
            const log = run.out();
            expect(log).to.include("vnetlab[host-a] dataplane=kernel (the kernel takes an ESP SA)\n");
            expect(log).to.include("vnetlab[host-a] tunnel a-b: initiator toward 172.31.62.20, start_action=trap, mode=transport\n");
            expect(log).to.include("vnetlab[host-a] tunnel a-b: dialled (attempt 1)\n");
            expect(fs.readlinkSync(path.join(run.dir, "run/strongswan-conf"))).to.equal(path.join(run.dir, "run/strongswan-conf-kernel"));
            // The test SA went away again, and no rule for the userspace dataplane was made.
            expect(run.calls()).to.include("ip xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7e57ab1e");
            expect(run.calls().filter((c) => c.startsWith("ip -4 rule"))).to.deep.equal([]);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("fails a transport tunnel on the userspace dataplane with one FAILED line that says why, before charon starts", async function () {
            this.timeout(20000);
            const plan = transportPlan();
            const refused = start(plan, "host-a", { ipv4: gatewayAddresses(plan, "host-a") });
            expect(await refused.done).to.equal(1);
            const failed = refused.out().split("\n").filter((l) => l.includes("] FAILED:"));
            expect(failed.map((l) => l.replace(/^\S+ /, "")), refused.out()).to.deep.equal([
                "vnetlab[host-a] FAILED: tunnel(s) a-b need transport mode, but this gateway runs strongSwan's userspace dataplane " +
                "(kernel-libipsec) because the kernel refuses an ESP SA (RTNETLINK answers: Protocol not supported), and kernel-libipsec implements " +
                "tunnel mode only; use mode: tunnel, or a host whose kernel has IPsec ESP",
            ]);
            expect(refused.calls()).to.not.include("charon");
            expect(refused.out()).to.not.include("] ready");

            // Forced by the environment, the same guard holds.
            const forced = start(plan, "host-b", { ipv4: gatewayAddresses(plan, "host-b"), env: { FAKE_ESP: "yes", VNETLAB_DATAPLANE: "libipsec" } });
            expect(await forced.done).to.equal(1);
            expect(forced.out()).to.match(/vnetlab\[host-b\] FAILED: tunnel\(s\) a-b need transport mode, .* because VNETLAB_DATAPLANE sets it, /);
        });

        it("takes the dataplane from the lab's setting, and fails a forced kernel dataplane the kernel cannot carry", async function () {
            this.timeout(20000);
            const plan = planOf("dev");
            const edit = (dataplane: string) => (conf: string) => conf.replace(/^dataplane auto$/m, `dataplane ${dataplane}`);
            const libipsec = start(plan, "gateway-a", { ipv4: gatewayAddresses(plan, "gateway-a"), env: { FAKE_ESP: "yes" }, edit: edit("libipsec") });
            await until(libipsec, /\] ready\n/);
            expect(libipsec.out()).to.include("vnetlab[gateway-a] dataplane=libipsec (set by the lab's dataplane setting)\n");
            expect(libipsec.calls().some((c) => c.startsWith("ip xfrm")), "no probe when the lab chose").to.equal(false);
            expect(await stop(libipsec)).to.equal("SIGTERM");

            const kernel = start(plan, "gateway-a", { ipv4: gatewayAddresses(plan, "gateway-a"), edit: edit("kernel") });
            expect(await kernel.done).to.equal(1);
            expect(kernel.out()).to.match(/vnetlab\[gateway-a\] FAILED: dataplane kernel \(set by the lab's dataplane setting\), but the kernel refuses an ESP SA \(RTNETLINK answers: Protocol not supported\): this host's kernel has no IPsec ESP; /);
            expect(kernel.calls()).to.not.include("charon");

            const missing = start(plan, "gateway-a", { ipv4: "", edit: (c) => c.replace(/^dataplane auto\n/m, "") });
            expect(await missing.done).to.equal(1);
            expect(missing.out()).to.match(/FAILED: .*node\.conf: no dataplane record \(auto, kernel or libipsec\)\n$/);
        });

        it("answers --probe-esp with the kernel's verdict on a test ESP SA and nothing else", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vnetlab-probe-"));
            dirs.push(dir);
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin/ip"), FAKE_IP, { mode: 0o755 });
            const probe = (env: Record<string, string>) => {
                fs.writeFileSync(path.join(dir, "calls"), "");
                const r = spawnSync("bash", [PROGRAM, "--probe-esp"], { encoding: "utf8", env: { PATH: `${dir}/bin:${process.env.PATH}`, FAKE: dir, ...env } });
                return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") };
            };
            const no = probe({});
            expect(no).to.deep.include({ status: 0, stdout: "esp no RTNETLINK answers: Protocol not supported\n", stderr: "" });
            expect(no.calls).to.have.length(1);
            expect(no.calls[0]).to.match(/^ip xfrm state add src 192\.0\.2\.1 dst 192\.0\.2\.2 proto esp /);
            const yes = probe({ FAKE_ESP: "yes" });
            expect(yes).to.deep.include({ status: 0, stdout: "esp yes\n", stderr: "" });
            expect(yes.calls[1]).to.equal("ip xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7e57ab1e");
        });

        it("once up, reports the end of its one long-running process as a failure and exits 1", async function () {
            this.timeout(20000);
            const plan = planOf("dev");
            const gw = nodeOf(plan, "gateway-a");
            const ipv4 = gw.interfaces.map((i, n) => addrLine(n + 2, `eth${n}`, `${i.docker.ipv4}/24`)).join("");
            const run = start(plan, "gateway-a", { ipv4 });
            await until(run, /\] ready\n/);
            process.kill(Number(fs.readFileSync(path.join(run.dir, "charon.pid"), "utf8")), "SIGKILL");
            expect(await run.done).to.equal(1);
            expect(run.out()).to.match(/vnetlab\[gateway-a\] FAILED: process \d+ ended; see the logs above\n$/);
            expect(fs.readFileSync(path.join(run.dir, "run/log"), "utf8")).to.match(/FAILED: process \d+ ended/);
        });

        it("names the router's uplink by elimination and routes out of it, the default route Docker gave", async function () {
            this.timeout(20000);
            const raw = JSON.parse(JSON.stringify(loadStackLab("dev")));
            raw.router = { uplink: true };
            const plan = planLab(parseLab(raw, "dev"), "dev");
            const router = nodeOf(plan, "router");
            const ipv4 = addrLine(1, "lo", "127.0.0.1/8") + router.interfaces.map((i, n) => addrLine(n + 2, `eth${n}`, `${i.docker.ipv4}/24`)).join("")
                + addrLine(9, `eth${router.interfaces.length}`, "172.17.0.5/16");
            const run = start(plan, "router", { ipv4, default4: "default via 172.17.0.1 dev eth9\n" });
            await until(run, /\] ready\n/);
            const calls = run.calls();
            const uplink = `eth${router.interfaces.length}`;
            expect(calls, calls.join("\n")).to.include(`ip link set dev ${uplink} name uplink`);
            expect(calls.filter((c) => / (down|up)$/.test(c)), "renamed while up").to.deep.equal([]);
            expect(calls[calls.length - 1]).to.equal("ip -4 route replace default via 172.17.0.1 dev uplink");
            expect(await stop(run)).to.equal("SIGTERM");
        });

        const tentativeLinkLocal = "2: lan@if7    inet6 fe80::42:c6ff:fe12:103/64 scope link tentative \\       valid_lft forever preferred_lft forever\n";

        it("re-addresses an IPv6-only client: flushes Docker's IPv4, IPv6 with nodad, waits for DAD, routes by IPv6", async function () {
            this.timeout(20000);
            const plan = planOf("site-to-site-ipv6");
            const client = nodeOf(plan, "client-a1");
            const lan = client.interfaces[0];
            const run = start(plan, "client-a1", {
                ipv4: addrLine(2, "eth0", `${lan.docker.ipv4}/24`), tentative: tentativeLinkLocal,
            });
            await until(run, /\] ready\n/);
            const calls = run.calls();
            // Renamed while up; the link-local address Docker's start left tentative is made usable at once, without DAD.
            expect(calls.slice(calls.indexOf("ip -o -4 addr show") + 1, calls.indexOf("ip -4 addr flush dev lan"))).to.deep.equal([
                "ip link set dev eth0 name lan", "ip link property add dev lan altname eth0", "ip -6 -o addr show scope link tentative",
                "ip -6 addr del fe80::42:c6ff:fe12:103/64 dev lan", "ip -6 addr add fe80::42:c6ff:fe12:103/64 dev lan nodad",
            ]);
            expect(calls.slice(calls.indexOf("ip -4 addr flush dev lan"))).to.deep.equal([
                "ip -4 addr flush dev lan",
                ...(lan.docker.ipv6 && lan.docker.ipv6 !== lan.addresses.ipv6!.address ? [`ip -6 addr del ${lan.docker.ipv6}/64 dev lan`] : []),
                "ip -6 addr replace fc00:4300:a::3/64 dev lan nodad",
                "ip -4 route show default",
                "ip -6 route show default",
                "ip -6 -o addr show scope global tentative",
                "ip -6 route replace default via fc00:4300:a::2 dev lan",
            ]);
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("on a kernel before Linux 6.2, which renames only a link that is down, takes the link down and up and keeps its IPv6 link-local address without DAD", async function () {
            this.timeout(20000);
            const plan = planOf("site-to-site-ipv6");
            const lan = nodeOf(plan, "client-a1").interfaces[0];
            // Up again, the link has made its link-local address anew, tentative.
            const run = start(plan, "client-a1", {
                ipv4: addrLine(2, "eth0", `${lan.docker.ipv4}/24`), tentative: tentativeLinkLocal, env: { FAKE_KERNEL: "before-6.2" },
            });
            await until(run, /\] ready\n/);
            const calls = run.calls();
            expect(calls.slice(calls.indexOf("ip -o -4 addr show") + 1, calls.indexOf("ip -4 addr flush dev lan"))).to.deep.equal([
                "ip link set dev eth0 name lan",
                "ip link set dev eth0 down", "ip link set dev eth0 name lan", "ip link property add dev lan altname eth0", "ip link set dev lan up",
                "ip -6 -o addr show scope link tentative",
                "ip -6 addr del fe80::42:c6ff:fe12:103/64 dev lan", "ip -6 addr add fe80::42:c6ff:fe12:103/64 dev lan nodad",
            ]);
            expect(run.out()).to.include("vnetlab[client-a1] this kernel renames only a link that is down (before Linux 6.2)\n");
            expect(await stop(run)).to.equal("SIGTERM");
        });

        it("starts the services and says ready only once their ports answer", async function () {
            this.timeout(20000);
            const server = net.createServer();
            const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
            await listen(0);
            const port = (server.address() as net.AddressInfo).port;
            await new Promise<void>((resolve) => server.close(() => resolve()));
            try {
                const plan = planOf("dev");
                const lan = nodeOf(plan, "server-s1").interfaces[0];
                const run = start(plan, "server-s1", { ipv4: addrLine(2, "eth0", `${lan.docker.ipv4}/24`), edit: (c) => c.replace(/^instance web 8080 web$/m, `instance web ${port} web`) });
                await until(run, /\+ vnetlab-service /);
                expect(run.out()).to.include(`vnetlab[server-s1] + vnetlab-service --node server-s1 --instance web ${port} web\n`);
                await new Promise((r) => setTimeout(r, 300));
                expect(run.out(), "ready before the port answers").to.not.include("] ready");
                await listen(port);
                await until(run, /\] ready\n/);
                expect(run.calls()).to.include(`vnetlab-service --node server-s1 --instance web ${port} web`);
                expect(await stop(run)).to.equal("SIGTERM");
            } finally {
                server.close();
            }
        });

        it("fails with one FAILED line naming the command, and on a config it cannot read", async function () {
            this.timeout(20000);
            const plan = planOf("dev");
            const lan = nodeOf(plan, "client-a1").interfaces[0];
            const failing = start(plan, "client-a1", { ipv4: addrLine(2, "eth0", `${lan.docker.ipv4}/24`), fail: "route replace" });
            expect(await failing.done).to.equal(1);
            const failed = failing.out().split("\n").filter((l) => l.includes("] FAILED:"));
            expect(failed, failing.out()).to.have.length(1);
            expect(failed[0]).to.match(/vnetlab\[client-a1\] FAILED: line \d+ exited 2: /);
            expect(failing.out()).to.not.include("] ready");

            const unknown = start(plan, "client-a1", { ipv4: "", edit: (c) => `${c}frobnicate now\n` });
            expect(await unknown.done).to.equal(1);
            expect(unknown.out()).to.match(/vnetlab\[client-a1\] FAILED: .*node\.conf line \d+: unknown record 'frobnicate'\n$/);

            const wrong = start(plan, "client-a1", { ipv4: "", edit: (c) => c.replace(/^format .*$/m, "format vnetlab.node-conf/0") });
            expect(await wrong.done).to.equal(1);
            expect(wrong.out()).to.include("format vnetlab.node-conf/0, this program reads vnetlab.node-conf/4");
            expect(execFileSync("bash", ["-n", PROGRAM]).toString()).to.equal("");
        });
    });
});
