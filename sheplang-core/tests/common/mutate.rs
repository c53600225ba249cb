//! Deterministic mutations of specs: characters replaced, inserted and deleted, words that steer
//! the parser inserted, lines dropped, swapped and duplicated. Shared by the tests that must
//! survive any input (the compiler's, the formatter's, the language server's).

#![allow(dead_code, reason = "each test crate uses a part of this module")]

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Characters that matter to the lexer and the layout, plus a few that do not.
const ALPHABET: &[char] = &[
    '{', '}', '(', ')', '[', ']', ':', ',', '.', '-', '>', '<', '=', '!', '~', '+', '*', '/', '%',
    '#', '"', '\'', '\n', '\t', ' ', ' ', '\r', 'a', 'Z', '_', '0', '9', 'é', '€', '\u{0}',
];

/// Words that steer the parser into its less travelled paths.
const WORDS: &[&str] = &[
    "app ",
    "data ",
    "view ",
    "action ",
    "flow ",
    "job ",
    "workflow ",
    "fields:",
    "states:",
    "rules:",
    "if ",
    "else:",
    "for ",
    "step ",
    "on error -> ",
    "schedule: ",
    "trigger: ",
    "yes/no",
    "ref[",
    "[]",
    "->",
    "/*",
    "*/",
    "//",
    "  ",
    "\n  ",
    ":\n",
    "\"",
    "not ",
    "or ",
];

pub fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let len = chars.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                chars[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 => {
                let i = rng.below(len + 1);
                chars.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below(8.min(len - i));
                chars.drain(i..i + n);
            }
            3 => {
                let i = rng.below(len + 1);
                let word = WORDS[rng.below(WORDS.len())];
                chars.splice(i..i, word.chars());
            }
            _ => {
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.split('\n').collect();
                let n = lines.len();
                let (a, b) = (rng.below(n), rng.below(n));
                match rng.below(3) {
                    0 => {
                        lines.remove(a);
                    }
                    1 => lines.swap(a, b),
                    _ => {
                        let line = lines[a];
                        lines.insert(b, line);
                    }
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}
