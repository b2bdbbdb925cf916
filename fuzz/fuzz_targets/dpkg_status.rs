//! The dpkg status reader (`Dpkg::from_status`, what `Dpkg::read` does with the text of
//! `var/lib/dpkg/status`), then every question asked of the packages it found that needs no file
//! from `info/`.
#![no_main]

use std::path::Path;

use jitsi_custom::system::dpkg::Dpkg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dpkg) = Dpkg::from_status(Path::new("/nonexistent-fuzz-root"), text) else {
        return;
    };
    for package in dpkg.packages() {
        let _ = package.is_held();
        assert!(
            dpkg.package(&package.name).is_some(),
            "{} is listed but not found",
            package.name
        );
        for (path, md5) in &package.conffiles {
            assert!(dpkg.is_conffile(&package.name, path));
            let expected = dpkg
                .expected_md5(&package.name, path)
                .expect("a conffile's md5 needs no file");
            assert_eq!(expected.is_some(), md5.len() == 32);
        }
    }
});
