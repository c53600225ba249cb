//! `hooks/use{Model}Realtime.ts`, one thin hook per model over the runtime's generic
//! `useModelRealtime` (`contexts/RealtimeContext.tsx`).

use super::names;
use super::writer::Code;
use crate::ir;

/// `useTaskRealtime` for `Task`.
pub(super) fn hook_name(model: &ir::Model) -> String {
    format!("use{}Realtime", model.name)
}

pub(super) fn hook(spec: &ir::Spec, model: &ir::Model) -> String {
    let name = names::string(&model.name);
    let mut c = Code::with_capacity(2_048);
    c.line(super::header(spec));
    c.blank();
    c.line("import {");
    c.line("  useModelRealtime,");
    c.line("  type ModelRealtime,");
    c.line("  type ModelRealtimeOptions,");
    c.line("} from '../contexts/RealtimeContext.js';");
    c.blank();
    c.doc(&format!(
        "Live `{m}` rows from channel `{ch}`, over the connection of the nearest\n\
         `<RealtimeProvider>` (throws outside one).\n\
         \n\
         ```tsx\n\
         const {{ items, loading, loadError }} = {hook}({{ load: () => api.list() }});\n\
         ```\n\
         \n\
         `items` starts from `initial`, takes the rows of `load` once channel `{ch}` is\n\
         subscribed (and again after every reconnection the server could not recover), and\n\
         applies every `model_created`, `model_updated` and `model_deleted` of `{m}` by id,\n\
         also those that arrive while `load` runs. `history` keeps the last `historyLimit`\n\
         changes (default 100), each with a `seq` for a React key.",
        m = model.name,
        ch = model.channel,
        hook = hook_name(model),
    ));
    c.block(
        format!(
            "export function {}(options?: ModelRealtimeOptions<{name}>): ModelRealtime<{name}> {{",
            hook_name(model)
        ),
        "}",
        |c| c.line(format!("return useModelRealtime({name}, options);")),
    );
    c.finish()
}
