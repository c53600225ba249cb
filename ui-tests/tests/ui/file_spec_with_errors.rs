// A spec file with an error: reported on the path, with the spec's file, line and column.

mod app {
    sheplang::sheplang! { file = "specs/broken.shep" }
}

fn main() {}
