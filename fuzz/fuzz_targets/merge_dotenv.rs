//! `merge::merge(Strategy::Dotenv, ..)` on base, local and upstream split from the input.
#![no_main]

use jitsi_custom::merge::Strategy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| jitsi_custom_fuzz::fuzz_merge(Strategy::Dotenv, data));
