//! The text the Rust generator writes: lines at an indentation depth, in the layout `rustfmt`
//! gives (four spaces a level, a blank line between items).

use std::fmt::{self, Write as _};

/// The widest line [`Out::list`] keeps on one line, like `rustfmt`'s default.
const WIDTH: usize = 100;

/// Generated source under construction.
pub(super) struct Out {
    text: String,
    depth: usize,
    /// Whether [`Out::doc`] writes anything (the `docs` option).
    docs: bool,
}

impl Out {
    pub(super) fn new(capacity: usize, docs: bool) -> Out {
        Out {
            text: String::with_capacity(capacity),
            depth: 0,
            docs,
        }
    }

    pub(super) fn finish(self) -> String {
        self.text
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("    ");
        }
    }

    /// One line at the current depth.
    pub(super) fn line(&mut self, text: &str) {
        self.indent();
        self.text.push_str(text);
        self.text.push('\n');
    }

    /// One formatted line at the current depth (see the `ln!` macro).
    pub(super) fn fmt(&mut self, args: fmt::Arguments<'_>) {
        self.indent();
        let _ = self.text.write_fmt(args);
        self.text.push('\n');
    }

    /// The buffer, after the current depth's indentation: the caller writes one line into
    /// it, ending with `\n`.
    pub(super) fn start(&mut self) -> &mut String {
        self.indent();
        &mut self.text
    }

    /// An empty line.
    pub(super) fn blank(&mut self) {
        self.text.push('\n');
    }

    /// A line that opens a block: what follows is one level deeper.
    pub(super) fn open(&mut self, text: &str) {
        self.line(text);
        self.depth += 1;
    }

    /// One level deeper, after a line that ended with an opening brace ([`Out::close`] of a
    /// parameter list that ends with `{`).
    pub(super) fn depth_in(&mut self) {
        self.depth += 1;
    }

    /// A line that closes a block, one level shallower.
    pub(super) fn close(&mut self, text: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.line(text);
    }

    /// `///` lines, each with the customary leading space; control characters (a newline would
    /// end the comment) become spaces. Nothing when the `docs` option is off.
    pub(super) fn doc<S: AsRef<str>>(&mut self, lines: &[S]) {
        if !self.docs {
            return;
        }
        for line in lines {
            let line = line.as_ref();
            self.indent();
            self.text.push_str("///");
            if !line.is_empty() {
                self.text.push(' ');
                push_spaced(&mut self.text, line);
            }
            self.text.push('\n');
        }
    }

    /// `head(a, b, c)tail` on one line when it fits, else one entry a line with a trailing
    /// comma (`#[derive(...)]`, long `&[...]` lists).
    pub(super) fn list(&mut self, head: &str, items: &[&str], tail: &str) {
        let width = 4 * self.depth
            + head.len()
            + tail.len()
            + items.iter().map(|i| i.len() + 2).sum::<usize>();
        if width <= WIDTH || items.is_empty() {
            self.indent();
            self.text.push_str(head);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.text.push_str(", ");
                }
                self.text.push_str(item);
            }
            self.text.push_str(tail);
            self.text.push('\n');
        } else {
            self.open(head);
            for item in items {
                self.indent();
                self.text.push_str(item);
                self.text.push_str(",\n");
            }
            self.close(tail);
        }
    }
}

/// `ln!(out, "format", args...)`: one formatted line at the current depth.
macro_rules! ln {
    ($out:expr, $($arg:tt)*) => {
        $out.fmt(::std::format_args!($($arg)*))
    };
}
pub(super) use ln;

/// Appends `text` with each control character (a newline would end a `///` line) as a space.
pub(super) fn push_spaced(buf: &mut String, text: &str) {
    // The control characters are U+0000-U+001F, U+007F and U+0080-U+009F (0xC2 0x80-0x9F in
    // UTF-8): text without those bytes goes in whole.
    if !text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        buf.push_str(text);
        return;
    }
    buf.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
}

/// A Rust string literal holding `s` exactly (the `Debug` form of a `str` is one).
pub(super) fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_lit(&mut out, s);
    out
}

/// Appends [`lit`]`(s)` to `buf`.
pub(super) fn push_lit(buf: &mut String, s: &str) {
    // Printable ASCII but `"` and `\` stands for itself; anything else as `Debug` escapes it.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        buf.push('"');
        buf.push_str(s);
        buf.push('"');
    } else {
        let _ = write!(buf, "{s:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_fit_or_break() {
        let mut out = Out::new(0, true);
        out.list("#[derive(", &["Debug", "Clone"], ")]");
        out.list("#[derive(", &["A"; 40], ")]");
        let text = out.finish();
        assert!(text.starts_with("#[derive(Debug, Clone)]\n#[derive(\n    A,\n"));
        assert!(text.ends_with("    A,\n)]\n"));
    }

    #[test]
    fn docs_are_one_line_each_and_optional() {
        let mut out = Out::new(0, true);
        out.doc(&["a\nb", ""]);
        assert_eq!(out.finish(), "/// a b\n///\n");
        let mut out = Out::new(0, false);
        out.doc(&["a"]);
        assert_eq!(out.finish(), "");
    }

    #[test]
    fn control_characters_become_spaces() {
        for (text, spaced) in [
            ("plain", "plain"),
            ("a\nb\tc", "a b c"),
            ("\u{7f}\u{85}", "  "),
            ("\u{a0}é\u{9f}", "\u{a0}é "),
        ] {
            let mut buf = String::new();
            push_spaced(&mut buf, text);
            assert_eq!(buf, spaced);
        }
    }

    #[test]
    fn literals_are_rust_literals() {
        assert_eq!(lit("a\"b\n"), r#""a\"b\n""#);
        for s in [
            "plain text",
            "back\\slash",
            "it's",
            "tab\t",
            "\u{7f}",
            "é",
            "\u{301}a",
            "",
        ] {
            assert_eq!(lit(s), format!("{s:?}"));
        }
    }
}
