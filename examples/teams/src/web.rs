//! The built front end (`web/dist`), served as static files: `/` is `index.html`, and a plain
//! file name at the top (`/app.js`, `/app.css`) is that file. Nothing else is reachable: no
//! sub-folders, no `..`, no hidden files.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The folder of the built page, unless told otherwise: `web/dist` beside this crate.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("web")
        .join("dist")
}

/// Answers every request the API and the realtime server did not take.
pub async fn serve(State(dir): State<PathBuf>, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
    }
    let name = match req.uri().path() {
        "/" | "/index.html" => "index.html",
        path => match path.strip_prefix('/').filter(|name| is_plain_name(name)) {
            Some(name) => name,
            None => return not_found(),
        },
    };
    let file = dir.join(name);
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut response = Body::from(bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(name)));
            // The page is rebuilt often while working on it: always revalidate.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) if name == "index.html" => not_built(&dir),
        Err(_) => not_found(),
    }
}

fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

fn not_built(dir: &Path) -> Response {
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Front end not built</title>\
         <body style=\"font:16px system-ui;max-width:40rem;margin:4rem auto\">\
         <h1>The page is not built yet</h1>\
         <p>No <code>index.html</code> in <code>{}</code>. From the repository root, run\
         <pre>npm --prefix examples/teams/web ci\nnpm --prefix examples/teams/web run build</pre>\
         <p>The API is up meanwhile: <a href=\"/api/users\">/api/users</a>.",
        escape(&dir.display().to_string())
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_top_level_names() {
        for ok in ["app.js", "app.css", "index.html", "a-b_c.1.map"] {
            assert!(is_plain_name(ok), "{ok}");
        }
        for bad in [
            "", ".env", "../x", "a/b", "a\\b", "%2e%2e", ".", "..", "a b",
        ] {
            assert!(!is_plain_name(bad), "{bad}");
        }
    }
}
