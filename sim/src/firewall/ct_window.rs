//! conntrack's TCP window tracking (`tcp_in_window`, nf_conntrack_proto_tcp.c, after Guido van Rooij's "Real
//! Stateful TCP Packet Filtering in IP Filter"): per direction the highest sequence sent (`td_end`), the highest
//! the peer's window allows (`td_maxend`) and the largest window seen (`td_maxwin`). A segment is in window when
//! its sequence is below the receiver's limit, its end is not too far below what was sent, and its ACK is neither
//! ahead of what the other side sent nor more than `MAXACKWINDOW` behind. Otherwise it is INVALID, unless the
//! entry is liberal: `be_liberal`, or a mid-stream pickup, which `tcp_new` marks liberal on both sides
//! ("We assume SACK and liberal window checking to handle window scaling").

use super::TcpMeta;
use crate::transport::tcp_seg::{seq_le, seq_lt};
use crate::wire::tcp::TcpFlags;

/// `MAXACKWINDOW_CONST`.
const MAXACKWINDOW: u32 = 66_000;

/// `struct ip_ct_tcp_state`: one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TdState {
    /// Highest sequence number sent + 1.
    pub td_end: u32,
    /// Highest sequence number the other side's window allows.
    pub td_maxend: u32,
    /// Largest window seen (0: this direction not seen yet).
    pub td_maxwin: u32,
    /// Window scale announced in this direction's SYN.
    pub td_scale: u8,
    /// The SYN carried a window scale option.
    pub wscale_ok: bool,
    /// `IP_CT_TCP_FLAG_BE_LIBERAL`.
    pub liberal: bool,
}

/// The directions of a new entry created by `syn` (`tcp_new`): the sender initialised from the packet.
pub fn init_syn(t: &TcpMeta) -> [TdState; 2] {
    let end = t.end();
    let win = u32::from(t.window).max(1);
    [
        TdState {
            td_end: end,
            td_maxend: end,
            td_maxwin: win,
            td_scale: t.wscale.unwrap_or(0),
            wscale_ok: t.wscale.is_some(),
            liberal: false,
        },
        TdState::default(),
    ]
}

/// A mid-stream pickup (`tcp_new` with `tcp_loose`): history unknown, both directions liberal.
pub fn init_loose(t: &TcpMeta) -> [TdState; 2] {
    let end = t.end();
    let win = u32::from(t.window).max(1);
    let liberal = TdState {
        liberal: true,
        ..TdState::default()
    };
    [
        TdState {
            td_end: end,
            td_maxend: end.wrapping_add(win),
            td_maxwin: win,
            ..liberal
        },
        liberal,
    ]
}

/// `tcp_in_window` for a segment in direction `reply` of an entry whose state (before this segment) is
/// `syn_phase_sender`: true when the sender is the side still in its SYN phase (SYN_SENT original, SYN_RECV
/// reply), which may restart its sequence space. Updates the window data on success.
pub fn in_window(seen: &mut [TdState; 2], reply: bool, syn_phase_sender: bool, t: &TcpMeta) -> bool {
    let (s, r) = if reply { (1, 0) } else { (0, 1) };
    let mut sender = seen[s];
    let mut receiver = seen[r];
    let syn = t.flags.contains(TcpFlags::SYN);
    let seq = t.seq;
    let end = t.end();
    let mut ack = t.ack;
    let mut win = u32::from(t.window);
    if sender.td_maxwin == 0 {
        // First segment in this direction: a SYN-ACK (or a reply to a picked-up flow).
        sender.td_end = end;
        sender.td_maxwin = win.max(1);
        sender.td_maxend = end;
        if syn {
            sender.td_scale = t.wscale.unwrap_or(0);
            sender.wscale_ok = t.wscale.is_some();
            // Scaling only if both SYNs carried the option (RFC 7323 §2.2).
            if !(sender.wscale_ok && receiver.wscale_ok) {
                sender.td_scale = 0;
                receiver.td_scale = 0;
            }
        } else {
            sender.td_maxend = end.wrapping_add(sender.td_maxwin);
            if receiver.td_maxwin == 0 {
                receiver.td_end = ack;
                receiver.td_maxend = ack;
            }
        }
    } else if syn_phase_sender && seq_lt(sender.td_end, end) {
        // A SYN retransmitted with a new sequence space (RFC 793 reinitialisation).
        sender.td_end = end;
        sender.td_maxend = end;
        sender.td_maxwin = win.max(1);
    }
    if !syn {
        win <<= sender.td_scale.min(14);
    }
    if !t.flags.contains(TcpFlags::ACK) || (t.flags.contains(TcpFlags::RST) && ack == 0) {
        ack = receiver.td_end;
    }
    let maxack = sender.td_maxwin.max(MAXACKWINDOW);
    let in_recv_win =
        receiver.td_maxwin == 0 || seq_lt(sender.td_end.wrapping_sub(receiver.td_maxwin).wrapping_sub(1), end);
    let ok = seq_le(seq, sender.td_maxend)
        && in_recv_win
        && seq_le(ack, receiver.td_end)
        && seq_lt(receiver.td_end.wrapping_sub(maxack).wrapping_sub(1), ack);
    if !ok {
        return sender.liberal || receiver.liberal;
    }
    sender.td_maxwin = sender.td_maxwin.max(win);
    if seq_lt(sender.td_end, end) {
        sender.td_end = end;
    }
    if receiver.td_maxwin != 0 && seq_lt(sender.td_maxend, end) {
        receiver.td_maxwin = receiver.td_maxwin.wrapping_add(end.wrapping_sub(sender.td_maxend));
    }
    let limit = ack.wrapping_add(win).wrapping_add(u32::from(win == 0));
    if seq_lt(receiver.td_maxend, limit) {
        receiver.td_maxend = limit;
    }
    seen[s] = sender;
    seen[r] = receiver;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, ack: u32, flags: TcpFlags, window: u16, len: u32) -> TcpMeta {
        TcpMeta {
            seq,
            ack,
            flags,
            window,
            wscale: flags.contains(TcpFlags::SYN).then_some(7),
            len,
        }
    }

    const ACK: TcpFlags = TcpFlags::ACK;

    #[test]
    fn handshake_and_data_stay_in_window_and_stray_segments_do_not() {
        let syn = seg(1000, 0, TcpFlags::SYN, 64240, 0);
        let mut w = init_syn(&syn);
        assert!(in_window(
            &mut w,
            true,
            false,
            &seg(5000, 1001, TcpFlags::SYN | ACK, 65160, 0)
        ));
        assert_eq!((w[0].td_scale, w[1].td_scale), (7, 7));
        assert!(in_window(&mut w, false, false, &seg(1001, 5001, ACK, 502, 0)));
        assert!(in_window(&mut w, false, false, &seg(1001, 5001, ACK, 502, 1400)));
        assert!(in_window(&mut w, true, false, &seg(5001, 2401, ACK, 509, 0)));
        // An ACK for data the server never sent: "ACK is over the upper bound".
        assert!(!in_window(&mut w, false, false, &seg(2401, 9_000_000, ACK, 502, 0)));
        // Data far beyond the receiver's window: "SEQ is over the upper bound".
        assert!(!in_window(
            &mut w,
            false,
            false,
            &seg(2401 + 10_000_000, 5001, ACK, 502, 10)
        ));
        // A spoofed RST far away in sequence space.
        assert!(!in_window(
            &mut w,
            true,
            false,
            &seg(5001 + 50_000_000, 0, TcpFlags::RST, 0, 0)
        ));
        assert!(in_window(&mut w, true, false, &seg(5001, 0, TcpFlags::RST, 0, 0)));
    }

    #[test]
    fn a_picked_up_flow_is_liberal_both_ways() {
        let first = seg(77_000, 5001, ACK, 502, 36);
        let mut w = init_loose(&first);
        assert!(w[0].liberal && w[1].liberal);
        assert!(in_window(&mut w, false, false, &seg(77_036, 9_000_000, ACK, 502, 36)));
    }
}
