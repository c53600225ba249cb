//! Indentation style: turns an indented token stream into the brace form. (Being written.)
