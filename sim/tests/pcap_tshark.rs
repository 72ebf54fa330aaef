//! Writes a capture of every kind of frame the packet layer builds and has tshark check it: no malformed
//! packet, no expert error, every checksum verified (IPv4 header, ICMP, ICMPv6, UDP, TCP), and the ND
//! options decoded the way a kernel would read them. Skipped (with a message) when tshark is not installed.

#[path = "wire_samples/mod.rs"]
mod samples;

use std::path::Path;
use std::process::Command;

use dualhome_sim::pcap::PcapngWriter;
use dualhome_sim::time::Instant;

const CHECKSUM_PREFS: [&str; 8] = [
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "icmpv6.checksum_bad_packets:TRUE",
];

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn tshark(file: &Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(file)
        .args(&CHECKSUM_PREFS[..6]) // icmpv6 always verifies; its pref name differs across versions
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write_capture(path: &Path) -> usize {
    let file = std::fs::File::create(path).expect("create capture");
    let mut writer = PcapngWriter::new(std::io::BufWriter::new(file)).expect("pcapng header");
    let iface = writer.add_interface("seg-wire").expect("interface");
    let mut frames: Vec<Vec<u8>> = samples::all().into_iter().map(|(_, f)| f).collect();
    frames.extend(samples::fragmented_ra());
    for (i, frame) in frames.iter().enumerate() {
        writer
            .write_frame(iface, Instant::from_millis(i as u64), frame)
            .expect("frame");
    }
    writer.into_inner().expect("flush");
    frames.len()
}

#[test]
fn tshark_finds_no_malformed_packets_and_no_expert_errors() {
    if !tshark_available() {
        println!("skipped: tshark not installed");
        return;
    }
    let dir = tempfile_dir();
    let path = dir.join("wire.pcapng");
    let count = write_capture(&path);

    let summary = tshark(&path, &[]);
    assert_eq!(summary.lines().count(), count, "one line per frame:\n{summary}");

    let expert = tshark(&path, &["-q", "-z", "expert,error"]);
    assert!(!expert.contains("Errors ("), "expert errors:\n{expert}");

    let verbose = tshark(&path, &["-V"]);
    for bad in [
        "Malformed",
        "[incorrect",
        "Checksum Status: Bad",
        "Bad checksum",
        "Exception occurred",
    ] {
        assert!(!verbose.contains(bad), "tshark reports {bad:?}:\n{verbose}");
    }
    // Checksums were verified, not skipped: each IP frame's outer checksums are Good (1), none is Bad (0);
    // quoted inner headers of ICMP errors may be Unverified (2).
    let fields = [
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "arp.opcode",
        "-e",
        "ip.checksum.status",
        "-e",
        "icmp.checksum.status",
        "-e",
        "icmpv6.checksum.status",
        "-e",
        "udp.checksum.status",
        "-e",
        "tcp.checksum.status",
        "-e",
        "ipv6.fraghdr.more",
    ];
    let table = tshark(&path, &fields);
    for line in table.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 8, "{line}");
        if !cols[1].is_empty() || cols[7] == "1" {
            continue; // ARP has no checksum; a fragment followed by more is checked once reassembled
        }
        let statuses: Vec<&str> = cols[2..7]
            .iter()
            .flat_map(|c| c.split(','))
            .filter(|s| !s.is_empty())
            .collect();
        assert!(
            statuses.first() == Some(&"1"),
            "frame {} has no verified checksum: {line}",
            cols[0]
        );
        assert!(!statuses.contains(&"0"), "frame {} has a bad checksum: {line}", cols[0]);
    }

    // The kernel-relevant content of the RA: all options present, both PIOs kept, RFC 4191 fields decoded.
    for expect in [
        "Prefix: 2601:646:100:69f1::",
        "Prefix: 2001:db8:1::",
        "Route Information",
        "Recursive DNS Servers: 2001:db8::54",
        "Domain Names: example.com",
        "Domain Names: corp.example.org",
        "MTU: 1400",
        "Prf (Default Router Preference): High",
        "Route Lifetime: 600",
        "Valid Lifetime: Infinity",
        "Route Preference: High",
        "MTU of next hop: 1400",
        "Redirected header",
        "Nonce: 010203040506",
        "802.1Q Virtual LAN",
        "Maximum segment size: 1460 bytes",
        "Window scale: 7",
        "[3 IPv6 Fragments (192 bytes): #29(64), #30(64), #31(64)]",
        "[Reassembled IPv6 length: 192]",
    ] {
        assert!(verbose.contains(expect), "tshark -V lacks {expect:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dualhome-pcap-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
