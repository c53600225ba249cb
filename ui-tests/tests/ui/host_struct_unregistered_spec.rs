// A host struct checked against a spec that `build.rs` does not compile: the error says what to
// add to `build.rs`.

#[derive(sheplang::Model)]
#[sheplang(spec = "billing", model = "Invoice")]
struct InvoiceRow {
    id: String,
}

fn main() {}
