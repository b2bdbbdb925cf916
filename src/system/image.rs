//! Reading files out of a container image without running it: the archive `docker image save`
//! writes (`manifest.json` naming the layers in order, each layer a tar, plain or compressed with
//! gzip or zstd, in the classic `<id>/layer.tar` layout or the OCI `blobs/sha256/<digest>` one).
//! Layers are applied in order: a later layer's file replaces an earlier one's, a whiteout
//! `.wh.<name>` deletes `<name>` (and what was below it), an opaque marker `.wh..wh..opq` empties its
//! directory of what earlier layers put there. A hard link takes the content of its target.
//!
//! Only the wanted files are kept in memory, each within the same bounds as files read from a
//! package ([`crate::system::deb::Limits`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use crate::tr;
use anyhow::{Context, Result, bail};

use super::deb::Limits;

/// What one layer does to the wanted files.
#[derive(Default)]
struct LayerChanges {
    /// Files it sets (path without the leading `/`).
    files: BTreeMap<String, Vec<u8>>,
    /// Paths it deletes (whiteouts), files or whole directories.
    deleted: Vec<String>,
    /// Directories it makes opaque.
    opaque: Vec<String>,
}

/// Reads `wanted` (install paths such as `/usr/share/jitsi-meet/css/all.css`) out of the image
/// archive at `archive`. A wanted file the image does not hold is absent from the result.
pub fn read_files(archive: &Path, wanted: &[String], limits: Limits) -> Result<BTreeMap<String, Vec<u8>>> {
    let wanted: BTreeSet<String> = wanted
        .iter()
        .map(|w| w.trim_start_matches('/').to_string())
        .collect();
    let layers = layer_order(archive)?;
    let mut changes: BTreeMap<String, LayerChanges> = BTreeMap::new();
    let file =
        std::fs::File::open(archive).with_context(|| tr!("cannot read {path}", path = archive.display()))?;
    let mut outer = tar::Archive::new(file);
    let mut unpacked = 0u64;
    for entry in outer
        .entries()
        .with_context(|| tr!("{path}: not an image archive", path = archive.display()))?
    {
        let entry = entry.with_context(|| tr!("{path}: not an image archive", path = archive.display()))?;
        let name = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if !layers.contains(&name) || changes.contains_key(&name) {
            continue;
        }
        let layer = read_layer(entry, &wanted, limits, &mut unpacked)
            .with_context(|| tr!("{path}: layer {name}", path = archive.display(), name))?;
        changes.insert(name, layer);
    }
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in &layers {
        let Some(layer) = changes.remove(name) else {
            bail!(
                "{}",
                tr!(
                    "{path}: layer {name} named in manifest.json is missing",
                    path = archive.display(),
                    name
                )
            );
        };
        let under =
            |dir: &str, path: &str| dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"));
        for dir in &layer.opaque {
            out.retain(|path, _| path == dir || !under(dir, path));
        }
        for gone in &layer.deleted {
            out.retain(|path, _| !under(gone, path));
        }
        out.extend(layer.files);
    }
    Ok(out.into_iter().map(|(p, c)| (format!("/{p}"), c)).collect())
}

/// The layers of the (first) image in the archive, bottom first, from `manifest.json`.
fn layer_order(archive: &Path) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Layers")]
        layers: Vec<String>,
    }
    let file =
        std::fs::File::open(archive).with_context(|| tr!("cannot read {path}", path = archive.display()))?;
    let mut outer = tar::Archive::new(file);
    for entry in outer
        .entries()
        .with_context(|| tr!("{path}: not an image archive", path = archive.display()))?
    {
        let mut entry =
            entry.with_context(|| tr!("{path}: not an image archive", path = archive.display()))?;
        if entry.path()?.to_string_lossy().trim_start_matches("./") != "manifest.json" {
            continue;
        }
        let mut text = String::new();
        (&mut entry)
            .take(1 << 20)
            .read_to_string(&mut text)
            .with_context(|| tr!("{path}: manifest.json is not text", path = archive.display()))?;
        let entries: Vec<Entry> = serde_json::from_str(&text)
            .with_context(|| tr!("{path}: manifest.json does not parse", path = archive.display()))?;
        let first = entries
            .into_iter()
            .next()
            .with_context(|| tr!("{path}: manifest.json names no image", path = archive.display()))?;
        return Ok(first
            .layers
            .into_iter()
            .map(|l| l.trim_start_matches("./").to_string())
            .collect());
    }
    bail!(
        "{}",
        tr!(
            "{path}: no manifest.json (is it the output of `docker image save`?)",
            path = archive.display()
        )
    )
}

/// Reads one layer's effect on the wanted files; `reader` is plain tar, gzip or zstd.
fn read_layer(
    reader: impl Read,
    wanted: &BTreeSet<String>,
    limits: Limits,
    unpacked: &mut u64,
) -> Result<LayerChanges> {
    let mut reader = std::io::BufReader::new(reader);
    let magic = {
        use std::io::BufRead;
        reader
            .fill_buf()?
            .get(..4)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    };
    let inner: Box<dyn Read> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(reader))
    } else if magic == [0x28, 0xb5, 0x2f, 0xfd] {
        Box::new(zstd::stream::read::Decoder::new(reader)?)
    } else {
        Box::new(reader)
    };
    let mut layer = LayerChanges::default();
    let mut archive = tar::Archive::new(inner);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if name == ".wh..wh..opq" {
            layer.opaque.push(dir.to_string());
            continue;
        }
        if let Some(gone) = name.strip_prefix(".wh.") {
            layer.deleted.push(if dir.is_empty() {
                gone.to_string()
            } else {
                format!("{dir}/{gone}")
            });
            continue;
        }
        if !wanted.contains(&path) {
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_hard_link() {
            let target = entry.link_name()?.map(|t| {
                t.to_string_lossy()
                    .trim_start_matches("./")
                    .trim_start_matches('/')
                    .to_string()
            });
            if let Some(content) = target.and_then(|t| layer.files.get(&t).cloned()) {
                layer.files.insert(path, content);
            }
            continue;
        }
        if !kind.is_file() {
            // A directory or symlink where a wanted file was: the file is gone.
            layer.deleted.push(path);
            continue;
        }
        let size = entry.header().size()?;
        if size > limits.file {
            bail!(
                "{}",
                tr!(
                    "{path} is {size}, more than the largest file allowed ({limit})",
                    path,
                    size = super::human_size(size),
                    limit = super::human_size(limits.file)
                )
            );
        }
        *unpacked += size;
        if *unpacked > limits.unpacked {
            bail!(
                "{}",
                tr!(
                    "the wanted files unpack to more than {limit}",
                    limit = super::human_size(limits.unpacked)
                )
            );
        }
        let mut content = Vec::with_capacity(size as usize);
        (&mut entry).take(limits.file + 1).read_to_end(&mut content)?;
        layer.files.insert(path, content);
    }
    Ok(layer)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tar of `(path, Some(content) | None for a directory)`.
    pub fn tar_of(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content) in entries {
            let mut header = tar::Header::new_gnu();
            match content {
                Some(bytes) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(bytes.len() as u64);
                    header.set_mode(0o644);
                    builder.append_data(&mut header, path, *bytes).unwrap();
                }
                None => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    header.set_mode(0o755);
                    builder.append_data(&mut header, path, &[][..]).unwrap();
                }
            }
        }
        builder.into_inner().unwrap()
    }

    /// An image archive in `docker image save`'s classic layout with these layers, bottom first.
    pub fn image_archive(layers: &[Vec<u8>]) -> Vec<u8> {
        let names: Vec<String> = (0..layers.len()).map(|i| format!("layer{i}/layer.tar")).collect();
        let manifest = serde_json::json!([{"Config": "config.json", "RepoTags": ["x:1"], "Layers": names}]);
        let mut entries: Vec<(String, Vec<u8>)> = names.iter().cloned().zip(layers.iter().cloned()).collect();
        entries.push(("manifest.json".into(), manifest.to_string().into_bytes()));
        let borrowed: Vec<(&str, Option<&[u8]>)> = entries
            .iter()
            .map(|(p, c)| (p.as_str(), Some(c.as_slice())))
            .collect();
        tar_of(&borrowed)
    }

    #[test]
    fn layers_apply_in_order_with_whiteouts() {
        let bottom = tar_of(&[
            ("usr/share/jitsi-meet/", None),
            ("usr/share/jitsi-meet/css/all.css", Some(b"a{}")),
            ("usr/share/jitsi-meet/title.html", Some(b"<title>1</title>")),
            ("usr/share/jitsi-meet/lang/main-de.json", Some(b"{}")),
            ("usr/share/jitsi-meet/images/favicon.ico", Some(b"ico1")),
        ]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(
            &mut gz,
            &tar_of(&[
                ("usr/share/jitsi-meet/css/all.css", Some(b"b{}")),
                ("usr/share/jitsi-meet/.wh.title.html", Some(b"")),
                ("usr/share/jitsi-meet/lang/.wh..wh..opq", Some(b"")),
            ]),
        )
        .unwrap();
        let top = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.tar");
        std::fs::write(&path, image_archive(&[bottom, top])).unwrap();
        let wanted: Vec<String> = [
            "/usr/share/jitsi-meet/css/all.css",
            "/usr/share/jitsi-meet/title.html",
            "/usr/share/jitsi-meet/lang/main-de.json",
            "/usr/share/jitsi-meet/images/favicon.ico",
        ]
        .map(String::from)
        .to_vec();
        let files = read_files(&path, &wanted, Limits::default()).unwrap();
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "/usr/share/jitsi-meet/css/all.css",
                "/usr/share/jitsi-meet/images/favicon.ico"
            ]
        );
        assert_eq!(files["/usr/share/jitsi-meet/css/all.css"], b"b{}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let layer = tar_of(&[("big", Some(&[b'x'; 100][..]))]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.tar");
        std::fs::write(&path, image_archive(&[layer])).unwrap();
        let err = read_files(&path, &["/big".into()], Limits::for_file_size(10)).unwrap_err();
        assert!(
            format!("{err:#}").contains("more than the largest file"),
            "{err:#}"
        );
        std::fs::write(&path, b"not a tar").unwrap();
        assert!(read_files(&path, &["/big".into()], Limits::default()).is_err());
    }
}
