//! The lexer: a hand-written scanner over bytes that produces tokens with spans and never
//! allocates per token. (Being written.)
