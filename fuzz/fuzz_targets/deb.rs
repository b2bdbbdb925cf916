//! The `.deb` reader (`system::deb::read_files`) on the input as a cached package archive, asked
//! for every file the example packages ship. The input goes to one anonymous temp file (in
//! `/dev/shm` where there is one) that is rewritten for each run and reopened by its
//! `/proc/self/fd` path, so no file is left behind.
#![no_main]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use jitsi_custom::system::deb::{Limits, read_files};
use jitsi_custom::system::md5_hex;
use libfuzzer_sys::fuzz_target;

/// The install paths the example packages ship (`examples/packages`).
const WANTED: &[&str] = &[
    "/etc/jitsi/jicofo/sip-communicator.properties",
    "/etc/jitsi/videobridge/logging.properties",
    "/usr/share/jicofo/jicofo.sh",
    "/usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example",
    "/usr/share/jitsi-meet-web-config/config.js",
    "/usr/share/jitsi-meet-web-config/jitsi-meet.example",
    "/usr/share/jitsi-meet/css/all.css",
    "/usr/share/jitsi-meet/images/favicon.ico",
    "/usr/share/jitsi-meet/images/watermark.svg",
    "/usr/share/jitsi-meet/interface_config.js",
    "/usr/share/jitsi-meet/lang/main-de.json",
    "/usr/share/jitsi-meet/static/welcomePageAdditionalCard.html",
    "/usr/share/jitsi-videobridge/jvb.sh",
];

/// Small bounds keep a decompression bomb to a few MiB a run.
const LIMITS: Limits = Limits {
    file: 256 << 10,
    unpacked: 4 << 20,
};

fn archive() -> &'static (File, PathBuf) {
    static ARCHIVE: OnceLock<(File, PathBuf)> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let file = tempfile::tempfile_in("/dev/shm")
            .or_else(|_| tempfile::tempfile())
            .expect("a temp file");
        let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        (file, path)
    })
}

fuzz_target!(|data: &[u8]| {
    let (file, path) = archive();
    file.set_len(0).expect("truncate");
    file.write_all_at(data, 0).expect("write");
    let Ok(files) = read_files(path, WANTED, LIMITS) else {
        return;
    };
    for (install_path, found) in &files {
        assert!(
            WANTED.contains(&install_path.as_str()),
            "{install_path} was not asked for"
        );
        assert!(found.content.len() as u64 <= LIMITS.file);
        assert_eq!(found.md5, md5_hex(&found.content));
    }
});
