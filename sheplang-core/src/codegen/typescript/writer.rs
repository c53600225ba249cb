//! A small line-oriented writer for generated TypeScript: indentation, blocks and JSDoc.

/// `tl!(c, "format", args...)`: one formatted line of TypeScript at the current indentation,
/// without a `String` of its own.
macro_rules! tl {
    ($c:expr, $($arg:tt)*) => {
        $c.fmt(::std::format_args!($($arg)*))
    };
}
pub(super) use tl;

/// Builds one file's text. Every line ends with `\n`; blank lines never carry indentation.
#[derive(Debug, Default)]
pub(super) struct Code {
    buf: String,
    indent: usize,
}

const INDENT: &str = "  ";

impl Code {
    /// A writer whose buffer holds `capacity` bytes before it grows.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Code {
            buf: String::with_capacity(capacity),
            indent: 0,
        }
    }

    /// Writes one line at the current indentation.
    pub(super) fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        if !text.is_empty() {
            for _ in 0..self.indent {
                self.buf.push_str(INDENT);
            }
            self.buf.push_str(text);
        }
        self.buf.push('\n');
    }

    /// Writes one formatted line at the current indentation, straight into the buffer (see the
    /// `tl!` macro); like [`Code::line`], an empty one carries no indentation.
    pub(super) fn fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let start = self.buf.len();
        for _ in 0..self.indent {
            self.buf.push_str(INDENT);
        }
        let text = self.buf.len();
        let _ = self.buf.write_fmt(args);
        if self.buf.len() == text {
            self.buf.truncate(start);
        }
        self.buf.push('\n');
    }

    /// Writes an empty line, unless the previous one is already empty (or this is the start).
    pub(super) fn blank(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }

    /// Writes `open`, the body one level deeper, then `close`.
    pub(super) fn block(
        &mut self,
        open: impl AsRef<str>,
        close: &str,
        body: impl FnOnce(&mut Self),
    ) {
        self.line(open);
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.line(close);
    }

    /// Writes a JSDoc comment: `/** text */` when it fits on one line, else one `*` line per
    /// line of `text`.
    pub(super) fn doc(&mut self, text: &str) {
        // One line with nothing to escape: written as it is.
        if !text.is_empty() && !text.contains(['\n', '\r']) && !text.contains("*/") {
            if text.len() + self.indent * INDENT.len() <= 94 {
                tl!(self, "/** {text} */");
            } else {
                self.line("/**");
                tl!(self, " * {text}");
                self.line(" */");
            }
            return;
        }
        let text = doc_escape(text);
        let lines: Vec<&str> = text.lines().collect();
        match lines.as_slice() {
            [] => {}
            [one] if one.len() + self.indent * INDENT.len() <= 94 => {
                self.line(format!("/** {one} */"));
            }
            _ => {
                self.line("/**");
                for l in lines {
                    if l.is_empty() {
                        self.line(" *");
                    } else {
                        self.line(format!(" * {l}"));
                    }
                }
                self.line(" */");
            }
        }
    }

    /// Appends fixed TypeScript text (written flush left), re-indented to the current level.
    pub(super) fn raw(&mut self, text: &str) {
        let text = text.trim_matches('\n');
        if self.indent == 0 && !text.contains('\r') {
            // Flush left already: the same lines, copied whole.
            self.buf.push_str(text);
            self.buf.push('\n');
            return;
        }
        for l in text.lines() {
            self.line(l);
        }
    }

    pub(super) fn finish(mut self) -> String {
        while self.buf.ends_with("\n\n") {
            self.buf.pop();
        }
        self.buf
    }
}

/// Makes text safe inside a `/** ... */` comment.
fn doc_escape(text: &str) -> String {
    text.replace("*/", "*\\/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_indent_and_blank_lines_stay_empty() {
        let mut c = Code::default();
        c.block("interface A {", "}", |c| {
            c.line("a: string;");
            c.blank();
            c.line("b: number;");
        });
        c.blank();
        c.blank();
        c.line("x");
        c.block("{", "}", |c| {
            tl!(c, "{}", "");
            tl!(c, "y: {};", 1);
        });
        assert_eq!(
            c.finish(),
            "interface A {\n  a: string;\n\n  b: number;\n}\n\nx\n{\n\n  y: 1;\n}\n"
        );
    }

    #[test]
    fn doc_comments_are_escaped_and_wrapped() {
        let mut c = Code::default();
        c.doc("closes */ early");
        c.doc("two\nlines");
        assert_eq!(
            c.finish(),
            "/** closes *\\/ early */\n/**\n * two\n * lines\n */\n"
        );
    }
}
