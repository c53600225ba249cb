//! Arbitrary bytes, read as lossy UTF-8, through the whole `compile` pipeline: it must not
//! panic, and every diagnostic must point inside the input, on character boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sheplang_core::{SourceMap, Span, compile};

fn check(text: &str, span: Span) {
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(
        start <= end && end <= text.len(),
        "span {span} outside {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "span {span} splits a character"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.shep", text.as_ref());
    let diags = match compile(&sources, file) {
        Ok(out) => out.warnings,
        Err(diags) => {
            assert!(
                diags.iter().any(|d| d.is_error()),
                "failed without an error"
            );
            diags
        }
    };
    for d in &diags {
        check(&text, d.span);
        for label in &d.secondary {
            check(&text, label.span);
        }
        let _ = d.render(&sources);
    }
});
