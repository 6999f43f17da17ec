//! The trace hash: FNV-1a over the postcard encoding of every trace event, in order. Equal
//! hashes mean equal traces, on any platform (postcard writes lengths and integers as
//! varints, the same on 32-bit wasm and 64-bit native), so comparing the hash of a run in the
//! browser with the native one proves they were the same run.
//!
//! Every event of every step is hashed, so the bytes go straight from the serializer into
//! the hash, with no buffer in between.

use crate::peer::trace::TraceEvent;
use fnv::FnvHasher;
use std::hash::Hasher;

#[derive(Default)]
pub(super) struct TraceHasher {
    fnv: FnvHasher,
}

impl TraceHasher {
    pub(super) fn add(&mut self, event: &TraceEvent) {
        // Serializing into the hash cannot fail: it has no size limit, and every field of a
        // trace event is serializable.
        let _ = postcard::serialize_with_flavor(event, IntoHash(&mut self.fnv));
    }

    pub(super) fn finish(&self) -> u64 {
        self.fnv.finish()
    }
}

/// A postcard output that feeds the bytes to the hash. FNV-1a takes one byte at a time, so
/// how the serializer splits its output does not change the result.
struct IntoHash<'a>(&'a mut FnvHasher);

impl postcard::ser_flavors::Flavor for IntoHash<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.write(data);
        Ok(())
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.write_u8(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::trace::TraceKind;
    use crate::time::VirtualTime;

    #[test]
    fn equals_fnv_over_the_concatenated_postcard_bytes() {
        let events = [
            TraceEvent {
                at: VirtualTime::from_millis(1234),
                server: 3,
                kind: TraceKind::DiskDone {
                    step: crate::peer::durable::DiskStep::Append {
                        first: crate::data::types::Zxid::new(1, 7),
                        last: crate::data::types::Zxid::new(1, 7),
                    },
                },
            },
            TraceEvent {
                at: VirtualTime::from_millis(99_999),
                server: 0,
                kind: TraceKind::Crashed,
            },
        ];
        let mut hasher = TraceHasher::default();
        let mut expected = FnvHasher::default();
        for event in &events {
            hasher.add(event);
            expected.write(&postcard::to_allocvec(event).expect("serializable"));
        }
        assert_eq!(hasher.finish(), expected.finish());
    }
}
