//! Reading diff3-style conflict markers back out of a merge result: the one reader every
//! strategy uses (libgit2 writes the markers; the settings merge settles blocks, the text merge
//! names and settles them, [`super::Regions`] lays them out for a person).

/// One conflict marker block. `ours` is the side written first (after `<<<<<<<`), `theirs` the
/// side after `=======`; each line keeps its line ending.
#[derive(Debug, Default)]
pub(crate) struct MarkerBlock<'a> {
    pub ours: Vec<&'a [u8]>,
    pub base: Vec<&'a [u8]>,
    pub theirs: Vec<&'a [u8]>,
}

/// Whether a line opens a conflict block.
pub(crate) fn opens_block(line: &[u8]) -> bool {
    line.starts_with(b"<<<<<<< ")
}

/// Reads the block whose `<<<<<<<` line is `lines[start]` (lines split with their endings);
/// returns it with the index of the line after its `>>>>>>>`. `None` when the block never ends.
pub(crate) fn read_block<'a>(lines: &[&'a [u8]], start: usize) -> Option<(MarkerBlock<'a>, usize)> {
    let mut block = MarkerBlock::default();
    let mut side = 0;
    for (i, &line) in lines.iter().enumerate().skip(start + 1) {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if side == 0 && line.starts_with(b"||||||| ") {
            side = 1;
        } else if side < 2 && bare == b"=======" {
            side = 2;
        } else if side == 2 && line.starts_with(b">>>>>>> ") {
            return Some((block, i + 1));
        } else {
            [&mut block.ours, &mut block.base, &mut block.theirs][side].push(line);
        }
    }
    None
}

/// Every well-formed block of `content` with the index of its `<<<<<<<` line and of the line
/// after its `>>>>>>>`; an unterminated block ends the search.
pub(crate) fn blocks(content: &[u8]) -> Vec<(usize, MarkerBlock<'_>, usize)> {
    let lines: Vec<&[u8]> = content.split_inclusive(|&b| b == b'\n').collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !opens_block(lines[i]) {
            i += 1;
            continue;
        }
        let Some((block, next)) = read_block(&lines, i) else {
            break;
        };
        found.push((i, block, next));
        i = next;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_with_and_without_a_base_section_and_crlf() {
        let content = b"a\n<<<<<<< local\nx\n||||||| base\ny\n=======\nz\n>>>>>>> upstream\nb\r\n<<<<<<< local\r\n1\r\n=======\r\n2\r\n>>>>>>> upstream\r\nc\n";
        let found = blocks(content);
        assert_eq!(found.len(), 2);
        let (start, first, next) = &found[0];
        assert_eq!((*start, *next), (1, 8));
        assert_eq!(
            (
                first.ours.as_slice(),
                first.base.as_slice(),
                first.theirs.as_slice()
            ),
            (&[&b"x\n"[..]][..], &[&b"y\n"[..]][..], &[&b"z\n"[..]][..])
        );
        let (start, second, next) = &found[1];
        assert_eq!((*start, *next), (9, 14));
        assert!(second.base.is_empty());
        assert_eq!(second.theirs, [&b"2\r\n"[..]]);
    }

    #[test]
    fn an_unterminated_block_ends_the_search() {
        assert!(blocks(b"<<<<<<< local\nx\n=======\ny\n").is_empty());
        assert!(blocks(b"no markers\n").is_empty());
    }
}
