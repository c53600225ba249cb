//! Build-script helper (being written).
