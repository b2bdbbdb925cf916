//! `validate::check(FileKind::Xml, ..)` on the input.
#![no_main]

use jitsi_custom::validate::FileKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| jitsi_custom_fuzz::fuzz_check(FileKind::Xml, data));
