//! `pattern="..."`: the regular expressions that Rust (`regex-lite`, as the facade runs them)
//! and JavaScript (`RegExp` with the flags `su`, as the generated TypeScript runs them) read
//! alike. Anything else is refused at compile time (E0212), since a validator could not run it
//! the same way in both languages.

/// Why `pattern` is not portable: a message and a hint, or `Ok`.
pub(crate) fn portable(pattern: &str) -> Result<(), (String, &'static str)> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    let refuse = |what: String, hint: &'static str| Err((what, hint));
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&next) = chars.get(i + 1) else {
                return refuse(
                    "the pattern ends with a lone `\\`".into(),
                    "escape it as `\\\\`",
                );
            };
            let ok = match next {
                'd' | 'D' | 'w' | 'W' | 'n' | 'r' | 't' => true,
                'b' | 'B' => !in_class,
                '-' => in_class,
                _ => "^$\\.*+?()[]{}|/".contains(next),
            };
            if !ok {
                let hint = match next {
                    's' | 'S' => {
                        "`\\s` is ASCII white space in Rust and Unicode white space in JavaScript; list the characters, such as `[ \\t\\n\\r]`"
                    }
                    '1'..='9' | 'k' => "back-references are JavaScript only",
                    'p' | 'P' => "Unicode classes differ between the engines; list the characters",
                    '-' => "outside a class, write `-` without a backslash",
                    _ => {
                        "escape only the characters `^ $ \\ . * + ? ( ) [ ] { } | /`, and use `\\d \\D \\w \\W \\b \\B \\n \\r \\t`"
                    }
                };
                return refuse(
                    format!("`\\{next}` is not read alike by Rust and JavaScript"),
                    hint,
                );
            }
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' => in_class = false,
                '[' => {
                    return refuse(
                        "a `[` inside a class is a nested class in Rust and a character in JavaScript".into(),
                        "escape it as `\\[`",
                    );
                }
                '&' | '-' | '~' if chars.get(i + 1) == Some(&c) => {
                    return refuse(
                        format!("`{c}{c}` inside a class is a set operation in Rust only"),
                        "list the characters of the class instead",
                    );
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    return refuse(
                        "a class that starts with `]` is read differently by Rust and JavaScript"
                            .into(),
                        "escape it as `\\]`",
                    );
                }
                continue;
            }
            ']' | '}' => {
                return refuse(
                    format!("a lone `{c}` is an error in JavaScript's `u` mode"),
                    "escape it with a backslash",
                );
            }
            '{' => {
                let close = chars[i..].iter().position(|&ch| ch == '}').map(|p| i + p);
                let body: String =
                    close.map_or_else(String::new, |end| chars[i + 1..end].iter().collect());
                let valid = close.is_some() && {
                    let (lo, hi) = body.split_once(',').unwrap_or((&body, "0"));
                    !lo.is_empty()
                        && lo.bytes().all(|b| b.is_ascii_digit())
                        && hi.bytes().all(|b| b.is_ascii_digit())
                };
                if !valid {
                    return refuse(
                        "a `{` that is not a repetition `{n}`, `{n,}` or `{n,m}`".into(),
                        "escape a literal `{` as `\\{`",
                    );
                }
                i = close.map_or(chars.len(), |end| end + 1);
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') && chars.get(i + 2) != Some(&':') => {
                return refuse(
                    "`(?` other than `(?:` (lookaround, named groups, flags) is not read alike by Rust and JavaScript".into(),
                    "use a plain group `( )` or `(?: )`",
                );
            }
            _ => {}
        }
        i += 1;
    }
    if in_class {
        return refuse(
            "a class `[` that is never closed".into(),
            "close it with `]`",
        );
    }
    regex_lite::Regex::new(pattern).map(drop).map_err(|e| {
        (
            format!(
                "the pattern does not compile: {}",
                first_line(&e.to_string())
            ),
            "fix the regular expression",
        )
    })
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::portable;

    #[test]
    fn the_portable_subset() {
        for ok in [
            "^[A-Z]{3}-[0-9]+$",
            "^https?://",
            "^[A-Za-z0-9 ]+$",
            r"^\d{2,}\.\w*?$",
            r"^(?:a|b)+[^,\]]$",
            r"[a\-z]",
            "^.{1,}$",
        ] {
            assert_eq!(portable(ok), Ok(()), "{ok}");
        }
        for bad in [
            r"\s+", r"(a)\1", "(?=a)", "(?i)a", "(?<n>a)", r"\p{L}", "[[a]]", "[a&&b]", "[]a]",
            "a]", "a{", "a{,3}", "[a", "(a", "\\", r"\-", r"[\b]",
        ] {
            assert!(portable(bad).is_err(), "{bad}");
        }
    }
}
