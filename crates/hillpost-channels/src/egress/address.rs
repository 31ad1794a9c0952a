//! Which IP addresses count as private: a public form's host that resolves to one of these is
//! either misconfigured or an attempt to reach our own network (SSRF), so it is refused unless
//! the operator allowed private addresses (tests on loopback do).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Loopback, RFC 1918, link-local, CGNAT, unspecified, broadcast, documentation, unique-local
/// IPv6 and IPv4-mapped forms of those.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private_v4(v4),
            None => is_private_v6(v6),
        },
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking
        || (a == 198 && (b == 18 || b == 19))
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        is_private_v4(Ipv4Addr::new(a, b, c, d))
    };
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated,
        // still routed inside some networks)
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Forms that carry an IPv4 address: judged by it. 64:ff9b::/96 (NAT64), ::/96
        // (IPv4-compatible), 2002::/16 (6to4, the address in bits 16-47).
        || (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && embedded(segments[6], segments[7]))
        || (segments[..6] == [0; 6] && embedded(segments[6], segments[7]))
        || (first == 0x2002 && embedded(segments[1], segments[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_public_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
            "fec0::1",
            "fefe::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in [
            "156.33.195.33",
            "8.8.8.8",
            "2600:1f18::1",
            "64:ff9b::9c21:c321",
            "2002:9c21:c321::1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
