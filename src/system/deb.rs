//! Reading files straight out of a `.deb` (an `ar` archive holding `data.tar.{gz,xz,zst}`), so the
//! pristine content of a package file can be had without dpkg and without unpacking.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Where apt caches the archive of a package version under `root`. apt writes an epoch's `:` as
/// `%3a` in the file name.
pub fn cached_deb(root: &Path, name: &str, version: &str, arch: &str) -> Option<PathBuf> {
    let file = format!("{name}_{}_{arch}.deb", version.replace(':', "%3a"));
    let path = root.join("var/cache/apt/archives").join(file);
    path.is_file().then_some(path)
}

/// Reads the contents of the wanted install paths (`/usr/share/...`) from a `.deb`. Paths the
/// package does not ship are absent from the result.
pub fn read_files(deb: &Path, wanted: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
    let file = std::fs::File::open(deb).with_context(|| format!("cannot open {}", deb.display()))?;
    let mut archive = ar::Archive::new(file);
    while let Some(entry) = archive.next_entry() {
        let entry = entry.with_context(|| format!("{}: not a Debian package", deb.display()))?;
        let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        let decoder: Box<dyn Read> = match name.as_str() {
            "data.tar" => Box::new(entry),
            "data.tar.gz" => Box::new(flate2::read::GzDecoder::new(entry)),
            "data.tar.xz" => Box::new(xz2::read::XzDecoder::new(entry)),
            "data.tar.zst" => Box::new(zstd::stream::read::Decoder::new(entry)?),
            _ => continue,
        };
        return read_tar(decoder, wanted).with_context(|| format!("{}: cannot read {name}", deb.display()));
    }
    bail!("{}: no data.tar member; not a Debian package", deb.display())
}

fn read_tar(reader: impl Read, wanted: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let install_path = format!("/{}", path.trim_start_matches("./").trim_start_matches('/'));
        if wanted.contains(&install_path.as_str()) {
            let mut content = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut content)?;
            found.insert(install_path, content);
            if found.len() == wanted.len() {
                break;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_deb_escapes_the_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let archives = dir.path().join("var/cache/apt/archives");
        std::fs::create_dir_all(&archives).unwrap();
        std::fs::write(archives.join("jitsi-meet-web_1%3a1.0.1-1_all.deb"), b"").unwrap();
        assert!(cached_deb(dir.path(), "jitsi-meet-web", "1:1.0.1-1", "all").is_some());
        assert!(cached_deb(dir.path(), "jitsi-meet-web", "1.0.1-1", "all").is_none());
    }

    #[test]
    fn not_a_deb_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.deb");
        std::fs::write(&path, b"garbage").unwrap();
        let err = read_files(&path, &["/x"]).unwrap_err();
        assert!(format!("{err:#}").contains("not a Debian package"), "{err:#}");
    }
}
