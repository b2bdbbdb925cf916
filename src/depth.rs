//! One guard against input nested deeper than a parser's stack can take, shared by the syntax
//! checks (`validate/`) and the structure-aware merges (`merge/`).
//!
//! Recursive-descent parsers (oxc for JavaScript, full_moon for Lua) and the code that walks their
//! trees use stack in proportion to the nesting of their input. A `config.js` nested thousands of
//! levels deep overflows the stack, and a stack overflow aborts the whole process (exit 134) instead
//! of failing one check or one merge. So a caller first measures the nesting with a cheap byte scan
//! that recurses into nothing ([`javascript_nesting`]), refuses input deeper than [`MAX_NESTING`],
//! and runs whatever is deeper than [`SHALLOW`] on a thread with a large stack
//! ([`run_within_stack`]). The merges' own parsers (JSON spans, CSS rules, HOCON, line settings)
//! keep explicit stacks and need no guard.

/// The deepest nesting (brackets, operator chains) any parser here is handed. Real Jitsi, Prosody
/// and nginx files stay below 20.
pub const MAX_NESTING: usize = 1000;

/// Nesting up to which a parser runs on the caller's stack: a few KiB a level in a debug build fit
/// easily in the 2 MiB of a test thread.
pub const SHALLOW: usize = 64;

/// Stack for the deep-input threads. Only touched pages are committed, so a large reservation is
/// cheap; it is sized for [`MAX_NESTING`] in a debug build (a few KiB per level for oxc, up to tens
/// of KiB for full_moon), with room to spare.
const LARGE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Where a scan found the nesting passing [`MAX_NESTING`]: the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub offset: usize,
}

/// The deepest nesting of JavaScript source, or where it passes [`MAX_NESTING`].
///
/// A byte scan that skips comments and string literals counts bracket depth, and runs of operators
/// that a parser descends into one by one (prefix operators `!!!x`, `- - -x`, and `=`/`?` chains
/// such as `a = b = c` or nested conditionals) until a `,`, `;`, bracket or line end. Regular
/// expression literals are not recognised; a bracket inside one only shifts the count a little,
/// which matters far above any real file.
pub fn javascript_nesting(text: &str) -> Result<usize, TooDeep> {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut deepest: usize = 0;
    let mut operator_run: usize = 0;
    // The last byte that was neither whitespace nor skipped, to tell a prefix `-` from a binary one.
    let mut previous = b';';
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = skip_past(bytes, i + 2, b"\n");
                operator_run = 0;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_past(bytes, i + 2, b"*/");
                continue;
            }
            b'"' | b'\'' | b'`' => {
                i = skip_string(bytes, i + 1, byte);
                previous = byte;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                operator_run = 0;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                operator_run = 0;
            }
            b',' | b';' | b'\n' => operator_run = 0,
            b'!' | b'~' | b'=' | b'?' => operator_run += 1,
            b'-' | b'+' if is_operator_or_opening(previous) => operator_run += 1,
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            previous = byte;
        }
        deepest = deepest.max(depth).max(operator_run);
        if deepest > MAX_NESTING {
            return Err(TooDeep { offset: i });
        }
        i += 1;
    }
    Ok(deepest)
}

fn is_operator_or_opening(byte: u8) -> bool {
    b"=!?~+-*/%&|^<>:,;([{".contains(&byte)
}

/// The index just after the next `end` at or after `from`, or the end of the input.
fn skip_past(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(bytes.len(), |at| from + at + end.len())
}

/// The index just after the string literal that starts before `from` with `quote`; quoted strings
/// also end at a line end (where the parser reports them unterminated).
fn skip_string(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if quote != b'`' => return i,
            byte if byte == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Runs `work` on the caller's stack when `nesting` is at most [`SHALLOW`], else on a thread with
/// a large stack. A panic inside `work` becomes an error naming `what` rather than unwinding into
/// the caller.
pub fn run_within_stack<T, F>(nesting: usize, what: &str, work: F) -> Result<T, String>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    if nesting <= SHALLOW {
        return Ok(work());
    }
    on_large_stack(what, work)
}

/// Runs `work` on a thread with a large stack; a panic inside it becomes an error naming `what`
/// (English: it ends up in validation errors and merge notes, which are kept).
pub fn on_large_stack<T, F>(what: &str, work: F) -> Result<T, String>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name(what.to_string())
            .stack_size(LARGE_STACK_BYTES)
            .spawn_scoped(scope, work)
            .map_err(|e| crate::english!("could not start the {what}: {error}", what, error = e))?;
        worker
            .join()
            .map_err(|_| crate::english!("the {what} failed on this input", what))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_and_operator_runs_outside_strings_and_comments() {
        assert_eq!(javascript_nesting("var config = { a: [1, { b: 2 }] };"), Ok(3));
        assert_eq!(javascript_nesting("x = '((((' // ((((\n/* [[[[ */ y"), Ok(1));
        assert_eq!(javascript_nesting("x = !!!!y"), Ok(5));
        let deep = format!(
            "x = {}1{};",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            javascript_nesting(&deep),
            Err(TooDeep {
                offset: 4 + MAX_NESTING
            })
        );
    }

    #[test]
    fn deep_work_runs_on_a_large_stack_and_a_panic_is_an_error() {
        fn recurse(n: usize) -> usize {
            let pad = std::hint::black_box([0u8; 1024]);
            if n == 0 {
                pad[0] as usize
            } else {
                recurse(n - 1) + 1
            }
        }
        // About 10 MiB of frames: more than any default stack, well inside the large one.
        assert_eq!(
            run_within_stack(MAX_NESTING, "test", || recurse(10_000)),
            Ok(10_000)
        );
        let failed = run_within_stack(MAX_NESTING, "deep test", || -> usize { panic!("boom") });
        assert_eq!(failed, Err("the deep test failed on this input".to_string()));
    }
}
