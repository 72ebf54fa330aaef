//! The three textual range forms of a cloud config: single IP, CIDR, and `A - B`.
//!
//! Mirrors `IpUtil#string_to_range` / `each_ip` of the director (bosh-networking.md §4.2, §4.5): whitespace around
//! `-` is stripped, both ends of `A - B` must be single IPs, a CIDR's host bits are masked off (Ruby `IPAddr.new`
//! does the same). An `A - B` entry is a minimal list of CIDR blocks at HEAD (`ip_range_to_cidr_list`, appendix
//! vector `10.0.3.64 - 10.0.3.99` → `10.0.3.64/27`, `10.0.3.96/30`); that list only matters for error texts, the
//! interval is what is stored.

use crate::addr::{low_mask, Addr, Family};
use std::fmt;

/// Why a range string was refused; the texts are the director's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeFormError {
    /// `NetworkInvalidIpRangeFormat` 160010: an `A - B` whose ends are not single IPs of one family, or reversed.
    #[error("Invalid IP range format: {0}")]
    InvalidRange(String),
    /// Neither an IP nor a CIDR.
    #[error("Invalid IP or CIDR format: {0}")]
    InvalidIpOrCidr(String),
}

/// One aligned CIDR block, printed `base/prefix` like the director's `IpAddrOrCidr#to_s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block {
    /// First address (host bits zero).
    pub base: Addr,
    /// Prefix length.
    pub prefix: u8,
}

impl Block {
    /// Last address of the block.
    pub fn last(self) -> u128 {
        self.base.value() | low_mask(self.base.family().bits() - self.prefix)
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// A parsed range entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeForm {
    /// `10.0.0.5`
    Single(Addr),
    /// `10.0.0.0/24` (host bits already masked).
    Cidr(Block),
    /// `10.0.0.5 - 10.0.0.9`, both ends included, `first <= last`, one family.
    Span(Addr, Addr),
}

impl RangeForm {
    /// Parses one entry of `reserved`, `static` or `static_ips`, or a subnet `range`.
    pub fn parse(text: &str) -> Result<RangeForm, RangeFormError> {
        let trimmed = text.trim();
        if let Some((a, b)) = trimmed.split_once('-') {
            let bad = || RangeFormError::InvalidRange(text.to_string());
            let first = parse_single_or_cidr(a.trim()).map_err(|_| bad())?;
            let last = parse_single_or_cidr(b.trim()).map_err(|_| bad())?;
            return match (first, last) {
                (RangeForm::Single(x), RangeForm::Single(y)) if x.family() == y.family() && x <= y => {
                    Ok(RangeForm::Span(x, y))
                }
                _ => Err(bad()),
            };
        }
        parse_single_or_cidr(trimmed).map_err(|_| RangeFormError::InvalidIpOrCidr(text.to_string()))
    }

    /// Family of the entry.
    pub fn family(self) -> Family {
        self.first().family()
    }

    /// First address.
    pub fn first(self) -> Addr {
        match self {
            RangeForm::Single(a) | RangeForm::Span(a, _) => a,
            RangeForm::Cidr(b) => b.base,
        }
    }

    /// Inclusive numeric bounds.
    pub fn bounds(self) -> (u128, u128) {
        match self {
            RangeForm::Single(a) => (a.value(), a.value()),
            RangeForm::Cidr(b) => (b.base.value(), b.last()),
            RangeForm::Span(a, b) => (a.value(), b.value()),
        }
    }

    /// Number of addresses, saturating at `u128::MAX` for a whole IPv6 space.
    pub fn size(self) -> u128 {
        let (lo, hi) = self.bounds();
        (hi - lo).saturating_add(1)
    }

    /// The address, if the entry is one address: a bare IP or a /32 (/128) CIDR, which `IpAddrOrCidr` also treats
    /// as a single IP. `A - A` is not: the director parses gateways and DNS with `IpAddrOrCidr.new`, not ranges.
    pub fn single(self) -> Option<Addr> {
        match self {
            RangeForm::Single(a) => Some(a),
            RangeForm::Cidr(b) if b.prefix == b.base.family().bits() => Some(b.base),
            _ => None,
        }
    }

    /// True for a single address (a bare IP or a /32, /128 CIDR).
    pub fn is_single(self) -> bool {
        let (lo, hi) = self.bounds();
        lo == hi
    }

    /// The entry as the minimal list of CIDR blocks, in address order.
    pub fn blocks(self) -> Vec<Block> {
        let (lo, hi) = self.bounds();
        cidr_blocks(self.family(), lo, hi)
    }
}

fn parse_single_or_cidr(text: &str) -> Result<RangeForm, ()> {
    match text.split_once('/') {
        None => Addr::parse(text).map(RangeForm::Single).ok_or(()),
        Some((ip, len)) => {
            let addr = Addr::parse(ip).ok_or(())?;
            let prefix: u8 = len.trim().parse().map_err(|_| ())?;
            let bits = addr.family().bits();
            if prefix > bits || !len.trim().bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            let base_value = addr.value() & !low_mask(bits - prefix);
            let base = Addr::new(addr.family(), base_value).ok_or(())?;
            Ok(RangeForm::Cidr(Block { base, prefix }))
        }
    }
}

/// Splits `[lo, hi]` into the fewest aligned CIDR blocks (at most 2 × bits of them).
pub fn cidr_blocks(family: Family, lo: u128, hi: u128) -> Vec<Block> {
    let bits = family.bits();
    let mut out = Vec::new();
    let mut start = lo;
    loop {
        // Largest block aligned at `start` that does not pass `hi`.
        let mut host_bits = if start == 0 {
            bits
        } else {
            (start.trailing_zeros() as u8).min(bits)
        };
        while host_bits > 0 && start.checked_add(low_mask(host_bits)).is_none_or(|end| end > hi) {
            host_bits -= 1;
        }
        let end = start + low_mask(host_bits);
        if let Some(base) = Addr::new(family, start) {
            out.push(Block {
                base,
                prefix: bits - host_bits,
            });
        }
        match end.checked_add(1) {
            Some(next) if end < hi => start = next,
            _ => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(blocks: &[Block]) -> Vec<String> {
        blocks.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn span_to_minimal_cidrs_appendix_vector() {
        let form = RangeForm::parse("10.0.3.64 - 10.0.3.99").map(RangeForm::blocks);
        assert_eq!(
            form.map(|b| strings(&b)),
            Ok(vec!["10.0.3.64/27".into(), "10.0.3.96/30".into()])
        );
    }

    #[test]
    fn forms_parse() {
        assert_eq!(
            RangeForm::parse("192.168.0.96/26").map(RangeForm::bounds),
            Ok((0xc0a8_0040, 0xc0a8_007f))
        );
        assert!(matches!(RangeForm::parse(" 10.0.0.1 "), Ok(RangeForm::Single(_))));
        assert!(matches!(
            RangeForm::parse("10.0.0.1-10.0.0.1"),
            Ok(RangeForm::Span(_, _))
        ));
        assert_eq!(RangeForm::parse("::/0").map(RangeForm::size), Ok(u128::MAX));
        assert!(RangeForm::parse("10.0.0.0/32").is_ok_and(RangeForm::is_single));
        assert_eq!(
            RangeForm::parse("10.0.0.7/32").map(RangeForm::single),
            Ok(Addr::parse("10.0.0.7"))
        );
        assert_eq!(RangeForm::parse("10.0.0.7 - 10.0.0.7").map(RangeForm::single), Ok(None));
    }

    #[test]
    fn director_error_texts() {
        assert_eq!(
            RangeForm::parse("10.0.0.0/24 - 10.0.1.0").map_err(|e| e.to_string()),
            Err("Invalid IP range format: 10.0.0.0/24 - 10.0.1.0".to_string())
        );
        assert_eq!(
            RangeForm::parse("10.0.0.9 - 10.0.0.1").map_err(|e| e.to_string()),
            Err("Invalid IP range format: 10.0.0.9 - 10.0.0.1".to_string())
        );
        assert_eq!(
            RangeForm::parse("10.0.0.1 - ::1").map_err(|e| e.to_string()),
            Err("Invalid IP range format: 10.0.0.1 - ::1".to_string())
        );
        assert_eq!(
            RangeForm::parse("10.0.0.0/33").map_err(|e| e.to_string()),
            Err("Invalid IP or CIDR format: 10.0.0.0/33".to_string())
        );
        assert_eq!(
            RangeForm::parse("banana").map_err(|e| e.to_string()),
            Err("Invalid IP or CIDR format: banana".to_string())
        );
    }

    #[test]
    fn whole_space_is_one_block() {
        assert_eq!(
            strings(&cidr_blocks(Family::V6, 0, u128::MAX)),
            vec!["::/0".to_string()]
        );
        assert_eq!(cidr_blocks(Family::V6, 1, u128::MAX).len(), 128);
    }
}
