//! `jitsi-custom log`: the operation log, newest first.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};

/// Show the operation log.
///
/// Every init, track, record, rebase and rollback with its id. Any of these states can be restored
/// with `jitsi-custom rollback ID`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Show at most N operations.
    #[arg(short = 'n', long, value_name = "N")]
    limit: Option<usize>,
}

pub fn run(ctx: &Ctx, args: LogArgs) -> Result<Outcome> {
    let store = ctx.open_store()?;
    let mut ops = store.operations()?;
    if let Some(limit) = args.limit {
        ops.truncate(limit);
    }
    if ctx.json {
        let rows: Vec<serde_json::Value> = ops
            .iter()
            .map(|op| {
                serde_json::json!({
                    "id": op.id.map(|i| i.to_string()),
                    "kind": op.kind,
                    "description": op.description,
                    "time": op.time,
                    "before": op.before,
                    "after": op.after,
                })
            })
            .collect();
        ctx.print_json(&rows)?;
        return Ok(Outcome::Ok);
    }
    let mut out = ctx.out();
    for op in &ops {
        writeln!(
            out,
            "{}  {}  {:<8} {}",
            op.short_id(),
            format_time(op.time),
            op.kind,
            op.description
        )?;
    }
    Ok(Outcome::Ok)
}

/// UTC time as `2026-11-29T03:00:00Z`.
fn format_time(secs: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_utc() {
        assert_eq!(super::format_time(1_795_910_400), "2026-11-29T00:00:00Z");
    }
}
