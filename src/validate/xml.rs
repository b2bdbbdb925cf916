//! XML syntax check for SVG images (`watermark.svg`) and other XML files Jitsi ships.
//!
//! A broken SVG does not stop Jitsi, but it shows a broken logo on every welcome page, and a merge
//! result that is not well-formed is never what anybody meant. roxmltree parses with DTDs allowed,
//! because SVG exports from editors carry a `<!DOCTYPE svg …>`; external entities are never
//! fetched.

use roxmltree::{Document, ParsingOptions};

use super::one_line;

/// Checks that `text` is a well-formed XML document; the error names the problem and its position.
pub(super) fn check_xml(text: &str) -> Result<(), String> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options)
        .map(|_| ())
        .map_err(|e| {
            let pos = e.pos();
            let full = e.to_string();
            // roxmltree ends its messages with " at ROW:COL"; the position is reported our way.
            let message = full
                .strip_suffix(&format!(" at {}:{}", pos.row, pos.col))
                .unwrap_or(&full);
            crate::english!(
                "invalid XML at line {line}, column {column}: {message}",
                line = pos.row,
                column = pos.col,
                message = one_line(message)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WATERMARK_SVG: &str = r##"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="140" height="40" viewBox="0 0 140 40">
  <title>Praxis Müller</title>
  <!-- logo of the practice -->
  <g fill="#1f6f8b">
    <circle cx="20" cy="20" r="16"/>
    <text x="44" y="26" font-family="sans-serif" font-size="14">Praxis &amp; Therapie</text>
  </g>
</svg>
"##;

    #[test]
    fn svg_with_doctype_passes() {
        assert_eq!(check_xml(WATERMARK_SVG), Ok(()));
    }

    #[test]
    fn internal_entities_are_expanded() {
        let svg = "<!DOCTYPE svg [<!ENTITY c \"#1f6f8b\">]>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"&c;\"/></svg>";
        assert_eq!(check_xml(svg), Ok(()));
    }

    #[test]
    fn unclosed_tag_fails_with_its_position() {
        let broken = WATERMARK_SVG.replace("  </g>\n", "");
        let err = check_xml(&broken).unwrap_err();
        assert_eq!(
            err,
            "invalid XML at line 9, column 1: expected 'g' tag, not 'svg'"
        );
    }

    #[test]
    fn truncated_document_fails() {
        let err = check_xml("<svg><g>").unwrap_err();
        assert!(err.starts_with("invalid XML at line 1, column "), "{err}");
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        assert_eq!(check_xml("\u{feff}<svg/>"), Ok(()));
    }
}
