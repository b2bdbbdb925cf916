//! nginx.
use super::Checked;
use crate::install_path::InstallPath;
use std::path::Path;
pub fn check_nginx(_root: &Path, _path: &InstallPath, _candidate: &[u8]) -> Result<Checked, String> {
    Ok(Checked::Passed)
}
