//! `Manifest::parse` on the input as the manifest file's text, as `Manifest::load` hands it over.
//! A manifest that parses is written back both ways the tool writes it (`to_toml`, and
//! `edited_toml` over the text as it was); each reads back as the same manifest, or the next run
//! would see other files tracked.
#![no_main]

use std::path::Path;

use jitsi_custom::Error;
use jitsi_custom::store::manifest::{FILE_NAME, Manifest};
use libfuzzer_sys::fuzz_target;

fn sorted(mut manifest: Manifest) -> Manifest {
    manifest.files.sort_by(|a, b| a.path.cmp(&b.path));
    manifest
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new(FILE_NAME);
    let manifest = match Manifest::parse(text, path) {
        Ok(manifest) => manifest,
        Err(Error::BadManifest { reason, .. }) => {
            assert!(!reason.contains('\n'), "a reason of several lines: {reason:?}");
            return;
        }
        Err(other) => panic!("not a BadManifest error: {other}"),
    };
    let written = manifest.to_toml();
    let back = Manifest::parse(&written, path).expect("to_toml reads back");
    assert_eq!(
        back, manifest,
        "to_toml reads back as another manifest:\n{written}"
    );
    let edited = manifest.edited_toml(text);
    let back = Manifest::parse(&edited, path).expect("edited_toml reads back");
    assert_eq!(
        sorted(back),
        sorted(manifest.clone()),
        "edited_toml reads back as another manifest"
    );
    for file in &manifest.files {
        let _ = file.strategy();
        let _ = file.render_template(b"var config = { hosts: { domain: 'jitsi-meet.example.com' } };");
    }
    let _ = manifest.package_set();
});
