//! Compiles the German catalogue `po/de.po` into a gettext `.mo` in OUT_DIR, which `src/i18n.rs`
//! embeds: a plain `cargo build` needs no gettext tools. Only translated entries go in (not fuzzy,
//! not obsolete, not empty), as `msgfmt` does, so a missing one shows the English message.

use std::path::PathBuf;

use rspolib::prelude::*;

fn main() {
    let source = "po/de.po";
    println!("cargo::rerun-if-changed={source}");
    let mut catalogue = match rspolib::pofile(source) {
        Ok(catalogue) => catalogue,
        Err(err) => panic!("{source}: {err}"),
    };
    catalogue.entries.retain(|entry| entry.translated());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out.join("de.mo");
    catalogue.save_as_mofile(target.to_str().expect("OUT_DIR is UTF-8"));
}
