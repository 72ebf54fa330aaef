//! IPv6 interface identifiers as Linux forms them: modified EUI-64, RFC 7217 stable privacy (bit-exact with
//! `ipv6_generate_stable_address`), IPv6 tokens, the link-local address per `addr_gen_mode`, and the
//! solicited-node multicast group with its MAC.
//!
//! Everything here is a pure function of its inputs: the simulation derives the 128-bit stable secret from its
//! seed ([`StableSecret::random`]) so the same seed gives the same addresses.

use std::fmt;
use std::net::Ipv6Addr;

use crate::wire::MacAddr;

/// `net.ipv6.conf.IF.addr_gen_mode` (linux-ipv6.md A22; `enum in6_addr_gen_mode` in `include/uapi/linux/if_link.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AddrGenMode {
    /// 0: EUI-64 for the link-local and SLAAC addresses.
    #[default]
    Eui64,
    /// 1: no link-local address; SLAAC still uses EUI-64 (linux-ipv6.md C13).
    None,
    /// 2: RFC 7217 with `stable_secret`; without a secret Linux falls back to EUI-64 for SLAAC and makes no
    /// link-local.
    StablePrivacy,
    /// 3: RFC 7217 with a random secret drawn at link-local generation when none is set.
    Random,
}

impl AddrGenMode {
    /// The mode for a sysctl value; `None` for values Linux rejects (`addrconf_sysctl_addr_gen_mode` accepts 0–3).
    pub fn from_sysctl(value: i64) -> Option<AddrGenMode> {
        match value {
            0 => Some(AddrGenMode::Eui64),
            1 => Some(AddrGenMode::None),
            2 => Some(AddrGenMode::StablePrivacy),
            3 => Some(AddrGenMode::Random),
            _ => None,
        }
    }

    /// Linux `is_addr_mode_generate_stable`: modes 2 and 3.
    pub fn is_stable(self) -> bool {
        matches!(self, AddrGenMode::StablePrivacy | AddrGenMode::Random)
    }
}

/// A 128-bit `stable_secret` (RFC 7217 `secret_key`), written to the sysctl as an IPv6 address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StableSecret(pub [u8; 16]);

impl StableSecret {
    /// A secret drawn from the simulation's seeded RNG (for `addr_gen_mode=3`, `ipv6_gen_mode_random_init`, and for
    /// the per-node secret the simulator sets).
    pub fn random<R: rand::Rng + ?Sized>(rng: &mut R) -> StableSecret {
        let mut s = [0u8; 16];
        rng.fill_bytes(&mut s);
        StableSecret(s)
    }

    /// The secret as `sysctl net.ipv6.conf.IF.stable_secret` reads it.
    pub fn as_ipv6(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.0)
    }
}

impl From<Ipv6Addr> for StableSecret {
    fn from(a: Ipv6Addr) -> StableSecret {
        StableSecret(a.octets())
    }
}

impl fmt::Debug for StableSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StableSecret({})", self.as_ipv6())
    }
}

/// The secret `ipv6_generate_stable_address` uses: the interface's if set, else `conf/default`'s, else none.
pub fn effective_secret(interface: Option<StableSecret>, default: Option<StableSecret>) -> Option<StableSecret> {
    interface.or(default)
}

/// One SHA-1 compression of a single 64-byte block from the standard initial state, without padding or
/// finalisation: the kernel's `sha1_init` + `sha1_transform` (kept by later kernels through `sha1_update` on the
/// raw state). The words come back in host order.
fn sha1_block(block: &[u8; 64]) -> [u32; 5] {
    let mut h: [u32; 5] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0];
    let mut w = [0u32; 80];
    for (i, chunk) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = h;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
            20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
            _ => (b ^ c ^ d, 0xca62_c1d6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *hi = hi.wrapping_add(v);
    }
    h
}

/// `MAX_ADDR_LEN`: the size of the hardware-address field in the kernel's hashed struct.
const MAX_ADDR_LEN: usize = 32;

/// The RFC 7217 interface identifier exactly as Linux `ipv6_generate_stable_address` computes it
/// (net/ipv6/addrconf.c): one SHA-1 block over the packed struct `{ secret[16], prefix[8], hwaddr[32], dad_count }`
/// zero-padded to 64 bytes, no finalisation, and the first two digest words stored in host (x86 little-endian)
/// order as the IID.
///
/// `perm_addr` is `dev->perm_addr`: the burnt-in MAC of a physical NIC, but all zeros for a veth or any device
/// whose MAC was set at creation (the kernel logs in linux-exp/C*.log were made that way). Longer input is cut at
/// 32 bytes.
pub fn stable_privacy_iid(secret: StableSecret, prefix: Ipv6Addr, perm_addr: &[u8], dad_count: u8) -> [u8; 8] {
    let mut block = [0u8; 64];
    block[..16].copy_from_slice(&secret.0);
    block[16..24].copy_from_slice(&prefix.octets()[..8]);
    let hw = perm_addr.len().min(MAX_ADDR_LEN);
    block[24..24 + hw].copy_from_slice(&perm_addr[..hw]);
    block[24 + MAX_ADDR_LEN] = dad_count;
    let digest = sha1_block(&block);
    let mut iid = [0u8; 8];
    iid[..4].copy_from_slice(&digest[0].to_le_bytes());
    iid[4..].copy_from_slice(&digest[1].to_le_bytes());
    iid
}

/// Linux `ipv6_reserved_interfaceid` (RFC 5453): the all-zero subnet-router anycast IID, the proxy-MIPv6 range
/// `0200:5eff:fe00:0000/104` and the reserved subnet anycast range `fdff:ffff:ffff:ff80/121`.
pub fn is_reserved_iid(iid: [u8; 8]) -> bool {
    let hi = u32::from_be_bytes([iid[0], iid[1], iid[2], iid[3]]);
    let lo = u32::from_be_bytes([iid[4], iid[5], iid[6], iid[7]]);
    (hi | lo) == 0
        || (hi == 0x0200_5eff && lo & 0xfe00_0000 == 0xfe00_0000)
        || (hi == 0xfdff_ffff && lo & 0xffff_ff80 == 0xffff_ff80)
}

/// A stable-privacy address for `prefix` and the `dad_count` that produced it: Linux `ipv6_generate_stable_address`
/// including its retry loop, which skips reserved IIDs by bumping `dad_count` and gives up (`None`) once
/// `dad_count` exceeds `idgen_retries` (linux-ipv6.md C3, C9).
pub fn stable_privacy_address(
    prefix: Ipv6Addr,
    secret: StableSecret,
    perm_addr: &[u8],
    dad_count: u8,
    idgen_retries: u32,
) -> Option<(Ipv6Addr, u8)> {
    let mut count = dad_count;
    loop {
        let iid = stable_privacy_iid(secret, prefix, perm_addr, count);
        if !is_reserved_iid(iid) {
            return Some((with_iid(prefix, iid), count));
        }
        count = count.checked_add(1)?;
        if u32::from(count) > idgen_retries {
            return None;
        }
    }
}

/// The first 64 bits of `prefix` joined with `iid` (RFC 4862 §5.5.3 d).
pub fn with_iid(prefix: Ipv6Addr, iid: [u8; 8]) -> Ipv6Addr {
    let mut o = prefix.octets();
    o[8..].copy_from_slice(&iid);
    Ipv6Addr::from(o)
}

/// Modified EUI-64 from a 48-bit MAC, the U/L bit flipped (linux-ipv6.md C1; `addrconf_ifid_eui48`).
pub fn eui64_iid(mac: MacAddr) -> [u8; 8] {
    mac.eui64_interface_id()
}

/// `fe80::/64`, the prefix of every link-local address Linux generates (`addrconf_addr_gen`).
pub const LINK_LOCAL_PREFIX: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0);

/// How an address's IID was made; the host turns it into the `stable-privacy` address flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IidSource {
    /// Modified EUI-64 from the MAC.
    Eui64,
    /// RFC 7217 with this `dad_count` (`IFA_F_STABLE_PRIVACY`).
    StablePrivacy {
        /// The `dad_count` that produced it (0 unless a reserved IID was skipped or DAD failed before).
        dad_count: u8,
    },
    /// The interface's IPv6 token (`ip token`).
    Token,
}

/// What an interface contributes to address generation.
#[derive(Debug, Clone, Copy)]
pub struct IidInputs<'a> {
    /// `addr_gen_mode` of the interface at generation time (A22).
    pub mode: AddrGenMode,
    /// The current MAC (`dev->dev_addr`), used by EUI-64.
    pub mac: MacAddr,
    /// `dev->perm_addr`, used by stable privacy (see [`stable_privacy_iid`]).
    pub perm_addr: &'a [u8],
    /// [`effective_secret`] of the interface; for mode 3 the caller sets a random one first.
    pub secret: Option<StableSecret>,
    /// `net.ipv6.idgen_retries` (default 3).
    pub idgen_retries: u32,
}

/// The link-local address Linux `addrconf_addr_gen` adds at link-up, or `None` when it adds none
/// (mode 1; mode 2/3 without a secret or with every retry reserved) (linux-ipv6.md A22, C3, C13).
pub fn link_local(inputs: &IidInputs<'_>) -> Option<(Ipv6Addr, IidSource)> {
    match inputs.mode {
        AddrGenMode::None => None,
        AddrGenMode::Eui64 => Some((with_iid(LINK_LOCAL_PREFIX, eui64_iid(inputs.mac)), IidSource::Eui64)),
        AddrGenMode::StablePrivacy | AddrGenMode::Random => {
            let secret = inputs.secret?;
            stable_privacy_address(LINK_LOCAL_PREFIX, secret, inputs.perm_addr, 0, inputs.idgen_retries)
                .map(|(a, dad_count)| (a, IidSource::StablePrivacy { dad_count }))
        }
    }
}

/// The SLAAC address for a /64 PIO prefix, in the order of Linux `addrconf_prefix_rcv`: a set token wins (B31),
/// then stable privacy for modes 2/3 when a secret exists, else EUI-64 (also for mode 1, C13).
pub fn slaac_address(prefix: Ipv6Addr, token: Option<Ipv6Addr>, inputs: &IidInputs<'_>) -> (Ipv6Addr, IidSource) {
    if let Some(token) = token.filter(|t| !t.is_unspecified()) {
        let mut iid = [0u8; 8];
        iid.copy_from_slice(&token.octets()[8..]);
        return (with_iid(prefix, iid), IidSource::Token);
    }
    if inputs.mode.is_stable() {
        if let Some(secret) = inputs.secret {
            if let Some((a, dad_count)) =
                stable_privacy_address(prefix, secret, inputs.perm_addr, 0, inputs.idgen_retries)
            {
                return (a, IidSource::StablePrivacy { dad_count });
            }
        }
    }
    (with_iid(prefix, eui64_iid(inputs.mac)), IidSource::Eui64)
}

/// The solicited-node multicast group `ff02::1:ffXX:XXXX` of `addr` (RFC 4291 §2.7.1; `addrconf_addr_solict_mult`).
pub fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, o[13], o[14], o[15]])
}

/// The MAC of `addr`'s solicited-node group, `33:33:ff:XX:XX:XX` (RFC 2464 §7).
pub fn solicited_node_mac(addr: Ipv6Addr) -> MacAddr {
    MacAddr::from_ipv6_multicast(solicited_node(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H0: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

    fn ip(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn sha1_block_matches_fips_180_abc() {
        // "abc" padded by hand: the one-block case of FIPS 180-2 appendix A.1.
        let mut b = [0u8; 64];
        b[..3].copy_from_slice(b"abc");
        b[3] = 0x80;
        b[63] = 24;
        assert_eq!(
            sha1_block(&b),
            [0xa999_3e36, 0x4706_816a, 0xba3e_2571, 0x7850_c26c, 0x9cd0_d89d]
        );
    }

    #[test]
    fn eui64_flips_universal_local_bit() {
        assert_eq!(with_iid(ip("fe80::"), eui64_iid(H0)), ip("fe80::5054:ff:fe12:3456"));
        let seed = MacAddr([0x00, 0x50, 0x56, 0x8c, 0x86, 0xa9]);
        assert_eq!(
            with_iid(ip("2601:646:100:69f0::"), eui64_iid(seed)),
            ip("2601:646:100:69f0:250:56ff:fe8c:86a9")
        );
        let c0 = MacAddr([0x02, 0x5a, 0, 0, 0, 0x0a]);
        assert_eq!(with_iid(LINK_LOCAL_PREFIX, eui64_iid(c0)), ip("fe80::5a:ff:fe00:a"));
    }

    #[test]
    fn stable_privacy_matches_kernel_logs() {
        // linux-exp/C.log, C2.log: stable_secret=2001:db8:1234::1 on a veth (perm_addr all zeros).
        let secret = StableSecret::from(ip("2001:db8:1234::1"));
        let zero = [0u8; 6];
        let a = |p: &str, n: u8| with_iid(ip(p), stable_privacy_iid(secret, ip(p), &zero, n));
        assert_eq!(a("2001:db8:4::", 0), ip("2001:db8:4:0:3306:83e7:789:c947"));
        assert_eq!(a("fe80::", 0), ip("fe80::c56c:4425:2d0d:841f"));
        let c6 = [
            "f1fd:6628:4d1:afb6",
            "aa96:286e:abbb:442d",
            "1532:5c87:d901:e96c",
            "3aec:a4a8:ca8f:7273",
        ];
        for (n, iid) in c6.iter().enumerate() {
            assert_eq!(
                a("2001:db8:5::", n as u8),
                ip(&format!("2001:db8:5:0:{iid}")),
                "dad_count {n}"
            );
        }
    }

    #[test]
    fn stable_privacy_matches_a_live_kernel() {
        // Measured for this module on kernel 6.18.44: netns dh-iid, veth dh0 (MAC set at creation, so perm_addr is
        // zero), stable_secret=fd00::5ec:1, addr_gen_mode=2, link up → `fe80::3081:eaac:9a14:51c6 … stable-privacy`.
        let secret = StableSecret::from(ip("fd00::5ec:1"));
        let iid = stable_privacy_iid(secret, LINK_LOCAL_PREFIX, &[0; 6], 0);
        assert_eq!(with_iid(LINK_LOCAL_PREFIX, iid), ip("fe80::3081:eaac:9a14:51c6"));
    }

    #[test]
    fn stable_privacy_depends_on_perm_addr_and_only_first_64_prefix_bits() {
        let secret = StableSecret::from(ip("2001:db8:1234::1"));
        let z = stable_privacy_iid(secret, ip("2001:db8:4::"), &[0; 6], 0);
        assert_ne!(z, stable_privacy_iid(secret, ip("2001:db8:4::"), &H0.0, 0));
        assert_eq!(z, stable_privacy_iid(secret, ip("2001:db8:4::ffff"), &[0; 6], 0));
    }

    #[test]
    fn reserved_iids() {
        assert!(is_reserved_iid([0; 8]));
        assert!(is_reserved_iid([0x02, 0x00, 0x5e, 0xff, 0xfe, 0x12, 0x34, 0x56]));
        assert!(is_reserved_iid([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80]));
        assert!(!is_reserved_iid([0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
        assert!(!is_reserved_iid(eui64_iid(H0)));
    }

    #[test]
    fn link_local_per_addr_gen_mode() {
        let secret = Some(StableSecret::from(ip("2001:db8:1234::1")));
        let mut i = IidInputs {
            mode: AddrGenMode::Eui64,
            mac: H0,
            perm_addr: &[0; 6],
            secret,
            idgen_retries: 3,
        };
        assert_eq!(link_local(&i), Some((ip("fe80::5054:ff:fe12:3456"), IidSource::Eui64)));
        i.mode = AddrGenMode::None;
        assert_eq!(link_local(&i), None);
        i.mode = AddrGenMode::StablePrivacy;
        let sp = Some((
            ip("fe80::c56c:4425:2d0d:841f"),
            IidSource::StablePrivacy { dad_count: 0 },
        ));
        assert_eq!(link_local(&i), sp);
        i.mode = AddrGenMode::Random;
        assert_eq!(link_local(&i), sp);
        i.secret = None;
        assert_eq!(link_local(&i), None);
    }

    #[test]
    fn slaac_token_then_stable_then_eui64() {
        let secret = Some(StableSecret::from(ip("2001:db8:1234::1")));
        let mut i = IidInputs {
            mode: AddrGenMode::StablePrivacy,
            mac: H0,
            perm_addr: &[0; 6],
            secret,
            idgen_retries: 3,
        };
        let p = ip("2001:db8:c::");
        assert_eq!(
            slaac_address(p, Some(ip("::1234:5678")), &i),
            (ip("2001:db8:c::1234:5678"), IidSource::Token)
        );
        assert_eq!(
            slaac_address(ip("2001:db8:4::"), None, &i).0,
            ip("2001:db8:4:0:3306:83e7:789:c947")
        );
        i.secret = None;
        assert_eq!(
            slaac_address(p, None, &i),
            (ip("2001:db8:c:0:5054:ff:fe12:3456"), IidSource::Eui64)
        );
        i.mode = AddrGenMode::None;
        assert_eq!(slaac_address(p, Some(Ipv6Addr::UNSPECIFIED), &i).1, IidSource::Eui64);
    }

    #[test]
    fn solicited_node_group_and_mac() {
        let a = ip("2001:db8:1:0:5054:ff:fe12:3456");
        assert_eq!(solicited_node(a), ip("ff02::1:ff12:3456"));
        assert_eq!(solicited_node_mac(a), MacAddr([0x33, 0x33, 0xff, 0x12, 0x34, 0x56]));
    }

    #[test]
    fn addr_gen_mode_sysctl_values() {
        assert_eq!(AddrGenMode::from_sysctl(3), Some(AddrGenMode::Random));
        assert_eq!(AddrGenMode::from_sysctl(4), None);
        assert!(!AddrGenMode::None.is_stable());
    }
}
