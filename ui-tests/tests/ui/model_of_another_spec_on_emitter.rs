// An emitter of one spec does not take the models of another spec.

mod tasks {
    sheplang::include_spec!("tasks");
}

mod billing {
    sheplang::sheplang! {
        app Billing {
            data Invoice {
                fields: {
                    total: money
                }
            }
        }
    }
}

use sheplang::Emitter as _;

fn main() {
    let invoice = billing::Invoice {
        id: "i-1".into(),
        total: sheplang::Money::zero(),
    };
    let emitter = sheplang::testing::Recorder::<tasks::Spec>::new();
    emitter.created(&invoice).unwrap();
}
