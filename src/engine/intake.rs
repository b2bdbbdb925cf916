//! Where pristine upstream content comes from, per file: the live file when dpkg's md5 says it is
//! untouched, the guide's `<file>.BKP` copy, the package archive in apt's cache, a conffile's
//! `.dpkg-dist`/`.dpkg-new`, or a package template with its placeholders replaced; for the docker
//! variant, the web image or the file the web container generated ([`crate::engine::docker`]).

use std::path::Path;

use crate::tr;
use anyhow::Result;

use crate::InstallPath;
use crate::engine::live;
use crate::store::TrackedFile;
use crate::store::upstream::{Origin, Source};
use crate::system::deb;
use crate::system::dpkg::Dpkg;
use crate::system::md5_hex;

/// What is known about a file's pristine content.
#[derive(Debug)]
pub enum Pristine {
    Found {
        content: Vec<u8>,
        origin: Origin,
    },
    /// No package ships the file and no template generates it: upstream has no such file and
    /// the whole file is a customisation.
    NotShipped,
    /// A package ships the file but no untouched copy of it could be found.
    Unknown {
        package: String,
        dpkg_md5: Option<String>,
        /// Why the package archive in apt's cache could not serve, when there is one.
        archive_problem: Option<String>,
    },
}

/// Fills in what the dpkg database and the profile know about a newly tracked file: its owning
/// package, or the template a package script generated it from.
pub fn describe(path: InstallPath, dpkg: &Dpkg, domain: Option<&str>) -> Result<TrackedFile> {
    describe_with_owners(path, domain, |p| dpkg.owner_of(p))
}

/// [`describe`] with the owning package of an install path answered by `owner_of` (a caller
/// that knows the owners already need not search every package's list again).
pub fn describe_with_owners(
    path: InstallPath,
    domain: Option<&str>,
    owner_of: impl Fn(&str) -> Result<Option<String>>,
) -> Result<TrackedFile> {
    let mut file = TrackedFile::new(path);
    if let Some(template) = crate::profile::template_for(&file.path.to_string(), domain) {
        file.template = Some(InstallPath::parse(template.path)?);
        if let Some(domain) = domain {
            file.placeholders
                .insert(template.domain_placeholder.to_string(), domain.to_string());
        }
        file.package = owner_of(template.path)?;
        return Ok(file);
    }
    file.package = owner_of(&file.path.to_string())?;
    Ok(file)
}

/// Learns per-install placeholder values (secrets, user names) of a template-generated file from
/// the live file, and records them in the file's placeholders.
pub fn learn_placeholders(file: &mut TrackedFile, template: &[u8], live: &[u8], placeholders: &[&str]) {
    let (Ok(template), Ok(live)) = (std::str::from_utf8(template), std::str::from_utf8(live)) else {
        return;
    };
    for placeholder in placeholders {
        if let Some(value) = learn_placeholder(file, template, live, placeholder) {
            file.placeholders.insert(placeholder.to_string(), value);
        }
    }
}

/// Finds a template line holding the placeholder and the live line with the same text around
/// it; the text in between is the value the package script put there.
fn learn_placeholder(file: &TrackedFile, template: &str, live: &str, placeholder: &str) -> Option<String> {
    for line in template.lines().filter(|l| l.contains(placeholder)) {
        let rendered = String::from_utf8(file.render_template(line.as_bytes())).ok()?;
        let (prefix, suffix) = match rendered.find(placeholder) {
            Some(at) => (&rendered[..at], &rendered[at + placeholder.len()..]),
            None => continue,
        };
        // Only the first occurrence is a placeholder slot; later ones must match the same value.
        let suffix_head = suffix.split(placeholder).next().unwrap_or(suffix);
        for candidate in live.lines() {
            if candidate.len() > prefix.len() + suffix_head.len()
                && candidate.starts_with(prefix)
                && let Some(rest) = candidate.get(prefix.len()..)
                && let Some(end) = if suffix_head.is_empty() {
                    Some(rest.len())
                } else {
                    rest.find(suffix_head)
                }
            {
                let value = &rest[..end];
                if !value.is_empty() && !value.contains(char::is_whitespace) {
                    return Some(value.to_string());
                }
            }
        }
    }
    None
}

/// Looks for the pristine content of a tracked file as of the installed packages.
pub fn find_pristine(
    root: &Path,
    dpkg: &Dpkg,
    file: &TrackedFile,
    live: Option<&[u8]>,
    adopt_bkp: bool,
    image: Option<&crate::engine::docker::Image>,
) -> Result<Pristine> {
    if let Some(found) = crate::engine::docker::pristine(root, file, live, image)? {
        return Ok(found);
    }
    if let Some(template_path) = &file.template {
        let Some(template) = live::read(root, template_path)? else {
            return Ok(match &file.package {
                Some(package) => Pristine::Unknown {
                    package: package.clone(),
                    dpkg_md5: None,
                    archive_problem: None,
                },
                None => Pristine::NotShipped,
            });
        };
        let dpkg_md5 = match &file.package {
            Some(package) => dpkg.expected_md5(package, &template_path.to_string())?,
            None => None,
        };
        return Ok(Pristine::Found {
            content: file.render_template(&template),
            origin: Origin::debian(Source::Template, file.package.clone(), dpkg_md5),
        });
    }
    let Some(package) = &file.package else {
        return Ok(Pristine::NotShipped);
    };
    let install_path = file.path.to_string();
    let Some(expected) = dpkg.expected_md5(package, &install_path)? else {
        return Ok(Pristine::Unknown {
            package: package.clone(),
            dpkg_md5: None,
            archive_problem: None,
        });
    };
    let found = |content: Vec<u8>, source: Source| Pristine::Found {
        content,
        origin: Origin::debian(source, Some(package.clone()), Some(expected.clone())),
    };
    if let Some(live) = live
        && md5_hex(live) == expected
    {
        return Ok(found(live.to_vec(), Source::Dpkg));
    }
    if adopt_bkp
        && let Some(bkp) = live::read(root, &file.path.with_suffix(".BKP"))?
        && md5_hex(&bkp) == expected
    {
        return Ok(found(bkp, Source::Bkp));
    }
    let mut archive_problem = None;
    if let Some(pkg) = dpkg.package(package)
        && let Some(archive) = deb::cached_deb(root, &pkg.name, &pkg.version, &pkg.architecture)
    {
        match deb::read_files(&archive, &[install_path.as_str()], deb::Limits::default()) {
            Ok(mut files) => match files.remove(&install_path) {
                Some(file) if file.md5 == expected => return Ok(found(file.content, Source::DebCache)),
                Some(_) => {
                    archive_problem = Some(tr!(
                        "{archive}: its {path} does not match dpkg's md5",
                        archive = archive.display(),
                        path = install_path
                    ))
                }
                None => {
                    archive_problem = Some(tr!(
                        "{archive}: does not hold {path}",
                        archive = archive.display(),
                        path = install_path
                    ))
                }
            },
            Err(e) => archive_problem = Some(format!("{e:#}")),
        }
    }
    Ok(Pristine::Unknown {
        package: package.clone(),
        dpkg_md5: Some(expected),
        archive_problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_values_are_learnt_from_the_live_file() {
        let mut file = TrackedFile::new(InstallPath::parse("/etc/prosody/conf.avail/x.de.cfg.lua").unwrap());
        file.placeholders
            .insert("jitmeet.example.com".into(), "x.de".into());
        let template = b"VirtualHost \"jitmeet.example.com\"\n    turncredentials_secret = \"__turnSecret__\";\nadmins = { \"focusUser@auth.jitmeet.example.com\" }\n";
        let live = b"VirtualHost \"x.de\"\n    turncredentials_secret = \"s3cr3t\";\nadmins = { \"focus@auth.x.de\" }\n";
        learn_placeholders(&mut file, template, live, &["focusUser", "__turnSecret__"]);
        assert_eq!(
            file.placeholders.get("__turnSecret__").map(String::as_str),
            Some("s3cr3t")
        );
        assert_eq!(
            file.placeholders.get("focusUser").map(String::as_str),
            Some("focus")
        );
        assert_eq!(file.render_template(template), live);
    }
}
