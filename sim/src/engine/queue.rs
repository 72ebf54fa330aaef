//! The engine's event queue: events ordered by (time, scheduling order), so two events at the same instant run
//! in the order they were scheduled and every run of the same setup is identical.
//!
//! The binary heap holds only 24-byte keys (time, sequence number, slot); the events wait in a slab of reusable
//! slots. Sifting through a queue of thousands of timers then moves small keys instead of whole events (a flood's
//! frames, a boxed call), and scheduling allocates nothing once the slab is warm.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Instant;

/// A heap entry: when, the scheduling order, and where the event waits.
struct Key {
    at: Instant,
    seq: u64,
    slot: u32,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Events of type `T` in (time, scheduling order).
pub(crate) struct EventQueue<T> {
    heap: BinaryHeap<Key>,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }
}

impl<T> EventQueue<T> {
    /// Schedules `event` at `at`, after every event already scheduled for that instant.
    #[inline]
    pub(crate) fn push(&mut self, at: Instant, event: T) {
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i as usize) {
                    *s = Some(event);
                }
                i
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Key {
            at,
            seq: self.seq,
            slot,
        });
    }

    /// The time of the earliest event.
    #[inline]
    pub(crate) fn peek_at(&self) -> Option<Instant> {
        self.heap.peek().map(|k| k.at)
    }

    /// Removes and returns the earliest event with its time.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(Instant, T)> {
        let key = self.heap.pop()?;
        let event = self.slots.get_mut(key.slot as usize)?.take()?;
        self.free.push(key.slot);
        Some((key.at, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_order_then_scheduling_order_and_slots_are_reused() {
        let mut q = EventQueue::default();
        q.push(Instant::from_secs(2), "c");
        q.push(Instant::from_secs(1), "a");
        q.push(Instant::from_secs(2), "d");
        q.push(Instant::from_secs(1), "b");
        assert_eq!(q.peek_at(), Some(Instant::from_secs(1)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.peek_at(), None);
        let slots = q.slots.len();
        q.push(Instant::from_secs(3), "e");
        q.push(Instant::from_secs(3), "f");
        assert_eq!(q.slots.len(), slots, "freed slots are reused");
        assert_eq!(q.pop(), Some((Instant::from_secs(3), "e")));
    }
}
