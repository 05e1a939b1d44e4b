// Address arithmetic for the planner. Everything goes through ip-num; this
// module only adapts it to the two shapes the lab model uses (strings in,
// canonical strings out) so that no other module parses addresses itself.
import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator, collapseIPv6Number } from "ip-num";

export type Family = "ipv4" | "ipv6";
export const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];
export type IpVersion = 4 | 6;

export function familyOf(version: IpVersion): Family {
    return version === 4 ? "ipv4" : "ipv6";
}

export function isAddress(family: Family, text: string): boolean {
    return family === "ipv4" ? Validator.isValidIPv4String(text)[0] : Validator.isValidIPv6String(text)[0];
}

/** A CIDR whose host bits are zero ("10.1.0.0/16", not "10.1.0.5/16"). */
export function isSubnet(family: Family, text: string): boolean {
    const [prefixOk] = family === "ipv4"
        ? Validator.isValidIPv4CidrNotation(text)
        : Validator.isValidIPv6CidrNotation(text);
    if (!prefixOk) return false;
    return family === "ipv4" ? Validator.isValidIPv4CidrRange(text)[0] : Validator.isValidIPv6CidrRange(text)[0];
}

export class Subnet {
    // Read once: the planner compares subnets pairwise, and ip-num builds new objects on every read.
    readonly prefixLength: number;
    readonly first: bigint;
    readonly last: bigint;

    private constructor(readonly family: Family, range: IPv4CidrRange | IPv6CidrRange) {
        this.prefixLength = Number(range.getPrefix().getValue());
        this.first = range.getFirst().value;
        this.last = range.getLast().value;
    }

    static parse(family: Family, cidr: string): Subnet {
        return new Subnet(family, family === "ipv4" ? IPv4CidrRange.fromCidr(cidr) : IPv6CidrRange.fromCidr(cidr));
    }

    /** Addresses a node may use: IPv4 loses network and broadcast, IPv6 the subnet-router anycast. */
    get firstUsable(): bigint {
        return this.first + (this.prefixLength >= (this.family === "ipv4" ? 31 : 127) ? 0n : 1n);
    }

    get lastUsable(): bigint {
        return this.family === "ipv4" && this.prefixLength < 31 ? this.last - 1n : this.last;
    }

    contains(address: string): boolean {
        const value = addressValue(this.family, address);
        return value >= this.first && value <= this.last;
    }

    isUsable(address: string): boolean {
        const value = addressValue(this.family, address);
        return value >= this.firstUsable && value <= this.lastUsable;
    }

    overlaps(other: Subnet): boolean {
        return other.family === this.family && this.first <= other.last && other.first <= this.last;
    }

    toString(): string {
        return `${formatAddress(this.family, this.first)}/${this.prefixLength}`;
    }

    /** The address with this subnet's prefix length, as `ip addr add` wants it. */
    withPrefix(address: string): string {
        return `${canonical(this.family, address)}/${this.prefixLength}`;
    }
}

export function addressValue(family: Family, address: string): bigint {
    return family === "ipv4" ? IPv4.fromString(address).value : IPv6.fromString(address).value;
}

export function formatAddress(family: Family, value: bigint): string {
    return family === "ipv4" ? new IPv4(value).toString() : collapseIPv6Number(new IPv6(value).toString());
}

/** One spelling per address, so that equal addresses compare equal as strings. */
export function canonical(family: Family, address: string): string {
    return formatAddress(family, addressValue(family, address));
}

/** Host route / single-address selector for an address. */
export function hostPrefix(family: Family, address: string): string {
    return `${canonical(family, address)}/${family === "ipv4" ? 32 : 128}`;
}

/**
 * Consecutive subnets of `prefixLength` carved from `pool`, skipping any that
 * overlap `avoid`. Used for the Docker-side stand-ins of lab subnets that
 * Docker cannot hold (overlapping ranges, IPv6-only segments need an IPv4).
 */
export function* carve(pool: Subnet, prefixLength: number, avoid: readonly Subnet[]): Generator<Subnet> {
    const size = 1n << BigInt((pool.family === "ipv4" ? 32 : 128) - prefixLength);
    for (let start = pool.first; start + size - 1n <= pool.last; start += size) {
        const candidate = Subnet.parse(pool.family, `${formatAddress(pool.family, start)}/${prefixLength}`);
        if (!avoid.some((other) => other.overlaps(candidate))) yield candidate;
    }
}
