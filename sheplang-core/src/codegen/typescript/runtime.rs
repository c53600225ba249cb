//! The runtime: the hand-written TypeScript that is the same for every spec (the Socket.IO
//! server, the Prisma extension and its value readers, the React provider and generic hook).
//!
//! Its sources are real TypeScript files under `sheplang-core/runtime/`, type-checked and
//! unit-tested by the `ts/` package; they are embedded here and written beside the generated
//! files of each spec, behind a header of their own. They reach the spec's names by relative
//! imports of the generated files (`types.ts`, `api/realtime/records.ts`). The two Lua
//! scripts of the Redis event log (`api/realtime/redis/*.lua`) are runtime files too: the
//! Node server's `RedisLog` loads them from beside itself, and the Rust `RedisLog` of
//! `sheplang-socketio` embeds the same files, so every writer runs the same script. Likewise
//! the statements of the SQLite change log (`api/realtime/capture/sqlite.sql`): the Node
//! `SqliteChangeLog` loads them from beside itself, the Rust `SqliteLog` embeds the same file.

/// One runtime file: its path in the output folder (the same as under `runtime/`) and its
/// source.
pub(super) struct File {
    pub(super) path: &'static str,
    pub(super) source: &'static str,
}

/// Every runtime file, in output order.
pub(super) const FILES: &[File] = &[
    File {
        path: "protocol.ts",
        source: include_str!("../../../runtime/protocol.ts"),
    },
    File {
        path: "validate.ts",
        source: include_str!("../../../runtime/validate.ts"),
    },
    File {
        path: "api/realtime/server.ts",
        source: include_str!("../../../runtime/api/realtime/server.ts"),
    },
    File {
        path: "api/realtime/middleware.ts",
        source: include_str!("../../../runtime/api/realtime/middleware.ts"),
    },
    File {
        path: "api/realtime/readers.ts",
        source: include_str!("../../../runtime/api/realtime/readers.ts"),
    },
    File {
        path: "api/realtime/redis.ts",
        source: include_str!("../../../runtime/api/realtime/redis.ts"),
    },
    File {
        path: "api/realtime/redis/append.lua",
        source: include_str!("../../../runtime/api/realtime/redis/append.lua"),
    },
    File {
        path: "api/realtime/redis/read.lua",
        source: include_str!("../../../runtime/api/realtime/redis/read.lua"),
    },
    File {
        path: "api/realtime/capture.ts",
        source: include_str!("../../../runtime/api/realtime/capture.ts"),
    },
    File {
        path: "api/realtime/capture/sqlite.sql",
        source: include_str!("../../../runtime/api/realtime/capture/sqlite.sql"),
    },
    File {
        path: "contexts/RealtimeContext.tsx",
        source: include_str!("../../../runtime/contexts/RealtimeContext.tsx"),
    },
];

/// The first line of a runtime file as written: the generated header, without an app's
/// name, since the file is the same for every spec; in Lua and SQL, behind their `--` comment
/// (the header SQL files have, which `sheplang gen` recognises as its own the same way).
pub(super) fn header(path: &str) -> String {
    let start = if path.ends_with(".lua") || path.ends_with(".sql") {
        super::super::sql::SQL_GENERATED_HEADER
    } else {
        super::super::GENERATED_HEADER
    };
    format!("{start}: its runtime, the same for every spec. Do not edit.")
}

/// A runtime file as written: the header, then the source unchanged.
pub(super) fn contents(file: &File) -> String {
    format!("{}\n{}", header(file.path), file.source)
}
