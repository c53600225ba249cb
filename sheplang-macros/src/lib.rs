//! Proc macros (being written).
