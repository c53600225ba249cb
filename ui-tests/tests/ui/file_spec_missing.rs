// A spec file that does not exist: the error is on the path.

mod app {
    sheplang::sheplang! { file = "specs/missing.shep" }
}

fn main() {}
