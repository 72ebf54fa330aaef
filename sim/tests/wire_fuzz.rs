//! Never panic on any input: random bytes and random mutations of valid frames go through `parse_frame`, every
//! decoder a receiver may call on the view, the ND option walker and the extension-header walk.

#[path = "wire_samples/mod.rs"]
mod samples;

use dualhome_sim::wire::ipv6ext::walk_ext_chain;
use dualhome_sim::wire::*;
use proptest::prelude::*;

/// Everything a receiver may do with a view; returns a number so that nothing is optimised away.
fn exercise(bytes: &[u8]) -> usize {
    let Ok(view) = parse_frame(bytes) else { return 0 };
    let mut n = view.l3_bytes().len() + view.l4_bytes().len() + FrameSummary(&view).to_string().len();
    n += usize::from(view.is_ndisc()) + usize::from(view.l4_is_whole());
    if let Some(Ok(Icmpv6Repr::Ndisc(nd))) = view.icmpv6() {
        for option in nd.options().reprs() {
            if let Ok(NdOptionRepr::Rdnss { servers, .. }) = option {
                n += servers.iter().count();
            }
            if let Ok(NdOptionRepr::Dnssl { domains, .. }) = option {
                n += domains.iter().map(|d| d.to_string().len()).sum::<usize>();
            }
            n += 1;
        }
        n += nd.options().views().count();
        n += usize::from(nd.options().source_lladdr().is_some()) + usize::from(nd.options().mtu().is_some());
    }
    if let Some(r) = view.icmpv4() {
        n += usize::from(r.is_ok());
    }
    if let Some(r) = view.udp() {
        n += r.payload.len();
    }
    if let Some(r) = view.tcp() {
        n += usize::from(r.is_ok());
    }
    n
}

fn sample_frames() -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = samples::all().into_iter().map(|(_, f)| f).collect();
    frames.extend(samples::fragmented_ra());
    frames
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
        exercise(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_valid_ipv6_header_never_panic(
        next in prop_oneof![Just(0u8), Just(43), Just(44), Just(58), Just(60), Just(6), Just(17), any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        // Ethernet + IPv6 header whose payload length matches, so that the walk and the ICMPv6/ND code run.
        let mut frame = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0];
        frame.extend_from_slice(&(body.len() as u16).to_be_bytes());
        frame.extend_from_slice(&[next, 255]);
        frame.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        frame.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        frame.extend_from_slice(&body);
        exercise(&frame);
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        index in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let frames = sample_frames();
        let mut frame = frames[index.index(frames.len())].clone();
        for (at, value) in flips {
            let i = at.index(frame.len());
            frame[i] = value;
        }
        if truncate {
            frame.truncate(cut.index(frame.len() + 1));
        }
        exercise(&frame);
    }

    #[test]
    fn nd_option_walker_never_panics_and_accounts_for_every_byte(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        match NdOptions::parse(&bytes) {
            Ok(options) => {
                let total: usize = options.views().map(|v| v.as_bytes().len()).sum();
                prop_assert_eq!(total, bytes.len());
                for view in options.views() {
                    prop_assert!(view.len_units() > 0);
                    let _ = view.repr();
                }
            }
            Err(e) => {
                prop_assert_eq!(e, WireError::BadOptionLength);
                // The unvalidated walk stops early but never panics.
                let _ = NdOptions::Wire(&bytes).reprs().count();
            }
        }
    }

    #[test]
    fn ext_chain_walk_never_panics(first in any::<u8>(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(chain) = walk_ext_chain(IpProtocol(first), &bytes) {
            prop_assert!(usize::from(chain.upper_offset) <= bytes.len());
        }
    }
}
