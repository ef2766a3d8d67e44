//! Fuzzes CMS SignedData and timestamp decoding and verification: any input must yield a reason
//! code, never a panic or a hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ca_bridge::fuzzing::verify_signed_data(data);
});
