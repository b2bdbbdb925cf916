//! Syntax checks per file kind, run before anything goes live and by `jitsi-custom validate`.

/// What a file's content is checked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Json,
    JavaScript,
    Lua,
    Xml,
    Nginx,
    /// No checker: any content is accepted (HTML, properties, binary files).
    Unchecked,
}

impl FileKind {
    pub fn for_path(path: &str) -> FileKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "json" => FileKind::Json,
            "js" => FileKind::JavaScript,
            "lua" => FileKind::Lua,
            "svg" | "xml" => FileKind::Xml,
            _ if path.starts_with("etc/nginx/") => FileKind::Nginx,
            _ => FileKind::Unchecked,
        }
    }
}

/// Checks the content; `Err` carries one line that names the problem and where it is.
pub fn check(kind: FileKind, content: &[u8]) -> Result<(), String> {
    match kind {
        FileKind::Json => serde_json::from_slice::<serde_json::Value>(content)
            .map(|_| ())
            .map_err(|e| format!("invalid JSON: {e}")),
        _ => Ok(()),
    }
}
