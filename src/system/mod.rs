//! The outside world: the dpkg database, `.deb` archives, apt-mark, systemctl and file writes
//! that must be atomic and must not follow symlinks; every program runs with a time limit
//! ([`process`]).

pub mod apt;
pub mod compose;
pub mod deb;
pub mod docker;
pub mod dpkg;
pub mod fs;
pub mod image;
pub mod notify;
pub mod process;
pub mod series;
pub mod services;

/// What the command line resolved about the outside world, set once at start-up
/// ([`configure`]) before any program runs.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Replaces every program's own time limit (slow machines, tests).
    pub program_timeout: Option<std::time::Duration>,
    /// The systemctl to run instead of the one on `PATH`.
    pub systemctl: Option<std::path::PathBuf>,
    /// The container tool to run (`docker`, or podman) instead of `docker` on `PATH`
    /// (`--docker-tool`).
    pub docker: Option<std::path::PathBuf>,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// Sets the outside world's settings for this process; only the first call counts.
pub fn configure(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// The settings [`configure`] set, or the defaults.
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(Settings::default)
}

/// Arms the crash points named in `FAILPOINTS` (fault-injection builds only; see
/// [`crash_point`]).
pub fn arm_crash_points() {
    #[cfg(feature = "failpoints")]
    std::mem::forget(fail::FailScenario::setup());
}

/// A named point where the fault-injection tests crash the process or fail the next write
/// (`--features failpoints`; `FAILPOINTS=name=return` exits as if killed, `name=return(io)` fails
/// with a full disk). Compiled to nothing otherwise.
pub fn crash_point(name: &str) -> std::io::Result<()> {
    #[cfg(feature = "failpoints")]
    if let Some(result) = fail::eval(name, |arg| match arg.as_deref() {
        Some("io") => Err(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        _ => std::process::exit(137),
    }) {
        return result;
    }
    let _ = name;
    Ok(())
}

/// Hex MD5 of some bytes, the form dpkg records.
pub fn md5_hex(content: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(content))
}

/// A size for messages: `64 MiB`, `1.5 GiB`, `512 bytes`.
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        return crate::tr!("{bytes} bytes", bytes);
    }
    size_in_units(bytes)
}

/// [`human_size`] in English, for text that is kept in English (`--json`, the state directory).
pub fn human_size_english(bytes: u64) -> String {
    if bytes < 1024 {
        return crate::english!("{bytes} bytes", bytes);
    }
    size_in_units(bytes)
}

/// `64 MiB`, `1.5 GiB`: a size of 1 KiB or more.
fn size_in_units(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(super::human_size(512), "512 bytes");
        assert_eq!(super::human_size(64 << 20), "64 MiB");
        assert_eq!(super::human_size(1536 << 20), "1.5 GiB");
    }
}
