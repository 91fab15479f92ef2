//! The frame header decoder of RFC 6455 section 5.2, on arbitrary bytes.
//!
//! Checks: `FrameHeader::decode` never panics; a decoded header re-encodes
//! to exactly the bytes it was decoded from (the decoder refuses every
//! non-minimal length, so the encoding is unique) and `encoded_len` says
//! how many; every shorter prefix of a header is "incomplete", never an
//! error or another header. Masking the bytes that follow with the decoded
//! key, at any offset, matches the bytewise definition of section 5.3 and
//! undoes itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ws_proto::frame::{apply_mask, FrameHeader};

fuzz_target!(|data: &[u8]| {
    let Ok(Some((header, len))) = FrameHeader::decode(data) else {
        return;
    };
    let mut encoded = Vec::new();
    header.encode(&mut encoded);
    assert_eq!(encoded, &data[..len], "{header:?} re-encoded");
    assert_eq!(header.encoded_len(), len);
    for cut in 0..len {
        assert_eq!(
            FrameHeader::decode(&data[..cut]),
            Ok(None),
            "a prefix of {cut} bytes"
        );
    }

    let (Some(key), payload) = (header.mask, &data[len..]) else {
        return;
    };
    let offset = usize::from(data[0]);
    let mut masked = payload.to_vec();
    apply_mask(&mut masked, key, offset);
    for (i, (m, p)) in masked.iter().zip(payload).enumerate() {
        assert_eq!(*m, p ^ key[(offset + i) % 4], "byte {i} at offset {offset}");
    }
    apply_mask(&mut masked, key, offset);
    assert_eq!(masked, payload);
});
