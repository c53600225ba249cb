//! One misspelling, one suggestion: the cases of `suggest_cases.txt` through
//! [`sheplang_core::suggest::closest`], the checks (an unknown field in `add`) and, where the
//! candidates are one of its keyword sets, the parser. The derive (`sheplang-macros`) and the
//! facade's copy (`sheplang`) read the same table in their own tests.

use sheplang_core::{Code, compile_str, suggest};

/// (misspelling, candidates, suggestion) from the table.
fn cases() -> Vec<(String, Vec<String>, Option<String>)> {
    let text = include_str!("suggest_cases.txt");
    let cases: Vec<_> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (typo, rest) = l.split_once(':').expect("`typo: candidates => answer`");
            let (candidates, answer) = rest.split_once("=>").expect("`=> answer`");
            let answer = answer.trim();
            (
                typo.trim().to_owned(),
                candidates.split_whitespace().map(str::to_owned).collect(),
                (answer != "-").then(|| answer.to_owned()),
            )
        })
        .collect();
    assert!(cases.len() > 10, "the table lost its cases");
    cases
}

/// The name in a help's "did you mean `x`?" (without a trailing `:`), if any.
fn suggested(help: Option<&str>) -> Option<String> {
    let rest = help?.split_once("did you mean `")?.1;
    let name = rest.split_once('`')?.0;
    Some(name.trim_end_matches(':').to_owned())
}

#[test]
fn the_function_answers_as_the_table_says() {
    for (typo, candidates, answer) in cases() {
        let got = suggest::closest(&typo, candidates.iter().map(String::as_str));
        assert_eq!(got, answer.as_deref(), "`{typo}` among {candidates:?}");
    }
}

#[test]
fn the_checks_answer_as_the_table_says() {
    for (typo, candidates, answer) in cases() {
        let fields: Vec<String> = candidates.iter().map(|c| format!("{c}: text")).collect();
        let spec = format!(
            "app A {{\n  data M {{ fields: {{ {} }} }}\n  action Go() {{ add M with {typo} = 1 }}\n}}\n",
            fields.join(" ")
        );
        let (sources, result) = compile_str("case.shep", &spec);
        let warnings =
            result.unwrap_or_else(|d| panic!("{}", sheplang_core::render_all(&d, &sources)));
        let warning = warnings
            .warnings
            .iter()
            .find(|d| d.code == Code::UNKNOWN_FIELD_VALUE)
            .unwrap_or_else(|| panic!("`{typo}`: no unknown-field warning"));
        assert_eq!(
            suggested(warning.help.as_deref()),
            answer,
            "`{typo}` among {candidates:?}: {:?}",
            warning.help
        );
    }
}

#[test]
fn the_parser_answers_as_the_table_says() {
    let mut seen = 0;
    for (typo, candidates, answer) in cases() {
        let spec = match candidates.join(" ").as_str() {
            "fields states rules" => {
                format!("app A {{\n  data T {{\n    {typo}: {{ a: text }}\n  }}\n}}\n")
            }
            "data view action flow job workflow" => format!("app A {{\n  {typo} X {{ }}\n}}\n"),
            _ => continue,
        };
        seen += 1;
        let (sources, result) = compile_str("case.shep", &spec);
        let errors = result.expect_err("a misspelt keyword is a syntax error");
        let first = errors.first().expect("an error");
        assert!(
            first.code.0.starts_with("E01"),
            "{}",
            sheplang_core::render_all(&errors, &sources)
        );
        assert_eq!(
            suggested(first.help.as_deref()),
            answer,
            "`{typo}`: {}",
            sheplang_core::render_all(&errors, &sources)
        );
    }
    assert!(seen > 5, "the table has too few keyword cases");
}
