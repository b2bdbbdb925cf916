//! The outside world: the dpkg database, `.deb` archives, apt-mark, systemctl and file writes
//! that must be atomic and must not follow symlinks.

pub mod apt;
pub mod deb;
pub mod dpkg;
pub mod fs;
pub mod notify;
pub mod services;

/// Hex MD5 of some bytes, the form dpkg records.
pub fn md5_hex(content: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(content))
}
