//! Reading files straight out of a `.deb` (an `ar` archive holding `data.tar.{gz,xz,zst}`), so the
//! pristine content of a package file can be had without dpkg and without unpacking.

use std::collections::BTreeMap;
use std::io::Read;

use std::path::{Path, PathBuf};

use crate::tr;
use anyhow::{Context, Result, bail};

/// Where apt caches the archive of a package version under `root`. apt writes an epoch's `:` as
/// `%3a` in the file name.
pub fn cached_deb(root: &Path, name: &str, version: &str, arch: &str) -> Option<PathBuf> {
    let file = format!("{name}_{}_{arch}.deb", version.replace(':', "%3a"));
    let path = root.join("var/cache/apt/archives").join(file);
    path.is_file().then_some(path)
}

/// How much may be read out of one package archive. Sizes in archive headers are only claims:
/// nothing is allocated or read past these bounds, whatever a header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest file taken out of an archive (the manifest's `max_file_size`).
    pub file: u64,
    /// The most bytes the compressed data member may unpack to, all files together.
    pub unpacked: u64,
}

impl Limits {
    /// The limits for a largest file of `file` bytes: a package may unpack to 16 such files.
    pub fn for_file_size(file: u64) -> Limits {
        Limits {
            file,
            unpacked: file.saturating_mul(16),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::for_file_size(crate::system::fs::max_file_size())
    }
}

/// A file read out of a package archive, with the md5 dpkg would record for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebFile {
    pub content: Vec<u8>,
    pub md5: String,
}

/// Reads the contents of the wanted install paths (`/usr/share/...`) from a `.deb`. Paths the
/// package does not ship are absent from the result. Every error names the archive and says
/// why it is unusable.
pub fn read_files(deb: &Path, wanted: &[&str], limits: Limits) -> Result<BTreeMap<String, DebFile>> {
    let file = std::fs::File::open(deb).with_context(|| tr!("cannot open {path}", path = deb.display()))?;
    let length = file
        .metadata()
        .with_context(|| tr!("cannot open {path}", path = deb.display()))?
        .len();
    check_members(&file, length)
        .with_context(|| tr!("{path}: not a Debian package", path = deb.display()))?;
    let mut archive = ar::Archive::new(file);
    while let Some(entry) = archive.next_entry() {
        let entry = entry.with_context(|| tr!("{path}: not a Debian package", path = deb.display()))?;
        let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        let decoder: Box<dyn Read> = match name.as_str() {
            "data.tar" => Box::new(entry),
            "data.tar.gz" => Box::new(flate2::read::GzDecoder::new(entry)),
            "data.tar.xz" => Box::new(xz2::read::XzDecoder::new(entry)),
            "data.tar.zst" => Box::new(zstd::stream::read::Decoder::new(entry)?),
            _ => continue,
        };
        // One byte past the bound tells a member that reaches it from one that exceeds it.
        let mut unpacked = decoder.take(limits.unpacked.saturating_add(1));
        let found = read_tar(&mut unpacked, wanted, limits)
            .with_context(|| tr!("{path}: cannot read {name}", path = deb.display(), name));
        if unpacked.limit() == 0 {
            bail!(
                "{}",
                tr!(
                    "{path}: {name} unpacks to more than {limit}; not read further",
                    path = deb.display(),
                    name,
                    limit = super::human_size(limits.unpacked)
                )
            );
        }
        return found;
    }
    bail!(
        "{}",
        tr!(
            "{path}: no data.tar member; not a Debian package",
            path = deb.display()
        )
    )
}

/// Checks the `ar` member headers before the `ar` crate reads them: it allocates whatever a GNU
/// name table or a BSD long name claims, and a `.deb` has neither (deb(5): members are
/// `debian-binary`, `control.tar*`, `data.tar*`). Every member must also fit in the file.
fn check_members(mut file: &std::fs::File, length: u64) -> Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).with_context(|| tr!("too short"))?;
    if &magic != b"!<arch>\n" {
        bail!("{}", tr!("no ar archive signature"));
    }
    let mut at = 8u64;
    while at < length {
        let mut header = [0u8; 60];
        file.read_exact(&mut header)
            .with_context(|| tr!("an archive member header is cut short"))?;
        let name = String::from_utf8_lossy(&header[..16]).trim_end().to_string();
        if name.starts_with('/') || name.starts_with("#1/") {
            bail!(
                "{}",
                tr!(
                    "archive member name {name} is not one dpkg writes",
                    name = format!("{name:?}")
                )
            );
        }
        let size: u64 = std::str::from_utf8(&header[48..58])
            .ok()
            .map(str::trim)
            .and_then(|s| s.parse().ok())
            .with_context(|| {
                tr!(
                    "archive member {name} has no readable size",
                    name = format!("{name:?}")
                )
            })?;
        let end = at + 60 + size + (size & 1);
        if at + 60 + size > length {
            bail!(
                "{}",
                tr!(
                    "archive member {name} claims {size} bytes, the file holds only {left}",
                    name = format!("{name:?}"),
                    size,
                    left = length - at - 60
                )
            );
        }
        at = file.seek(SeekFrom::Start(end.min(length)))?;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(())
}

fn read_tar(reader: impl Read, wanted: &[&str], limits: Limits) -> Result<BTreeMap<String, DebFile>> {
    use md5::Digest;
    let mut found = BTreeMap::new();
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries()? {
        let entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let install_path = format!("/{}", path.trim_start_matches("./").trim_start_matches('/'));
        if !wanted.contains(&install_path.as_str()) {
            continue;
        }
        let claimed = entry.size();
        if claimed > limits.file {
            bail!(
                "{}",
                tr!(
                    "{install_path} is {claimed} bytes by its header, larger than the limit of {limit} (`max_file_size` in the manifest)",
                    install_path,
                    claimed,
                    limit = super::human_size(limits.file)
                )
            );
        }
        // The header's size bounds the entry's reader; read and hash in one pass.
        let mut content = Vec::new();
        let mut md5 = md5::Md5::new();
        let mut entry = entry.take(limits.file);
        let mut buffer = [0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            md5.update(&buffer[..n]);
            content.extend_from_slice(&buffer[..n]);
        }
        let md5 = hex::encode(md5.finalize());
        found.insert(install_path, DebFile { content, md5 });
        if found.len() == wanted.len() {
            break;
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

    /// A `.deb` whose data.tar.xz holds these files, in this order.
    fn deb_with(dir: &Path, files: &[(&str, &[u8])]) -> PathBuf {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!(".{path}"), *content)
                .unwrap();
        }
        let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
        std::io::Write::write_all(&mut xz, &tar.into_inner().unwrap()).unwrap();
        let data = xz.finish().unwrap();
        let path = dir.join("p.deb");
        let mut ar = ar::Builder::new(std::fs::File::create(&path).unwrap());
        ar.append(&ar::Header::new(b"debian-binary".to_vec(), 4), &b"2.0\n"[..])
            .unwrap();
        ar.append(
            &ar::Header::new(b"data.tar.xz".to_vec(), data.len() as u64),
            &data[..],
        )
        .unwrap();
        path
    }

    #[test]
    fn files_come_with_their_md5_and_a_bomb_stops_at_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let deb = deb_with(dir.path(), &[("/usr/share/a", b"hello\n")]);
        let files = read_files(&deb, &["/usr/share/a"], Limits::default()).unwrap();
        assert_eq!(files["/usr/share/a"].content, b"hello\n");
        assert_eq!(files["/usr/share/a"].md5, crate::system::md5_hex(b"hello\n"));
        // 3 MiB of zeros that nobody wants, before the wanted file: unpacking stops at 16 KiB.
        let zeros = vec![0u8; 3 << 20];
        let deb = deb_with(
            dir.path(),
            &[("/usr/share/zeros", &zeros), ("/usr/share/a", b"x")],
        );
        let err = read_files(&deb, &["/usr/share/a"], Limits::for_file_size(1024)).unwrap_err();
        assert!(
            format!("{err:#}").contains("unpacks to more than 16 KiB"),
            "{err:#}"
        );
    }

    #[test]
    fn not_a_deb_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.deb");
        std::fs::write(&path, b"garbage").unwrap();
        let err = read_files(&path, &["/x"], Limits::default()).unwrap_err();
        assert!(format!("{err:#}").contains("not a Debian package"), "{err:#}");
    }
}
