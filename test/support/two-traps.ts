// A lab shape that verify once got wrong: a dual-stack pair of sites with one
// IPv4 and one IPv6 trap tunnel between the same gateways and only ICMP
// `checks:`, no services (issue: SA checks read before any packet).
export const TWO_TRAPS = {
    sites: {
        a: {
            lan: { ipv4: "10.61.1.0/24", ipv6: "fd00:61:1::/64" },
            gateway: { isp: { subnet: { ipv4: "172.31.61.0/24", ipv6: "fd00:31:61::/64" } } },
            hosts: { "client-a": { role: "client" } },
        },
        b: {
            lan: { ipv4: "10.61.2.0/24", ipv6: "fd00:61:2::/64" },
            gateway: { isp: { subnet: { ipv4: "172.31.62.0/24", ipv6: "fd00:31:62::/64" } } },
            hosts: { "server-b": { role: "server" } },
        },
    },
    tunnels: {
        v4: { type: "site-to-site", between: ["a", "b"] },
        v6: { type: "site-to-site", between: ["a", "b"], ipVersion: 6 },
    },
    checks: [
        { from: "client-a", to: "server-b", protocol: "icmp", expect: "reach" },
        { from: "client-a", to: "server-b", protocol: "icmp", ipVersion: 6, expect: "reach" },
    ],
};
