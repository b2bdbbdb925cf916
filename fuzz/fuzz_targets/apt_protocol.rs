//! `hook::protocol::parse` on the input as apt writes it to a `DPkg::Pre-Install-Pkgs` hook's
//! stdin, decoded as the hook decodes it (lossy UTF-8).
#![no_main]

use jitsi_custom::engine::hook::protocol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let info = protocol::parse(&input);
    let _ = info.command_line();
    let _ = info.config("Dir::Cache::archives");
    assert!(info.packages.len() + info.skipped <= input.lines().count());
});
