//! Pagination: every style the REST connectors meet, behind one loop.
//!
//! - `Link` headers with `rel="next"` (GitHub, Okta);
//! - a cursor in the body sent back as a query parameter (`response_metadata.next_cursor`
//!   for Slack, `nextPageToken` for Google, `links.next` for Atlassian when it is a token);
//! - a full next URL in the body (`@odata.nextLink` for Microsoft Graph, `links.next`);
//! - page numbers, stopping at an empty page or at a total (`paging.pages`).
//!
//! Each page's records are taken by JSON pointer (`""` for a top-level array). A page
//! limit bounds a runaway API (a cursor that never ends); reaching it is an error, so the
//! source is reported partial rather than silently cut short.

use super::{HttpClient, HttpError};
use serde_json::Value;

/// How an endpoint pages.
#[derive(Debug, Clone, PartialEq)]
pub enum Pagination {
    /// One request.
    None,
    /// `Link: <url>; rel="next"`.
    LinkHeader,
    /// The cursor at `pointer` in the body, sent back as query `param`; empty or missing
    /// ends the walk.
    BodyCursor { pointer: String, param: String },
    /// A full next URL at `pointer` in the body.
    NextUrl { pointer: String },
    /// `param` = start, start+1, ...; ends at an empty page, a short page (fewer than
    /// `per_page` records, when set) or the total at `total_pointer`.
    PageNumber {
        param: String,
        start: u64,
        total_pointer: Option<String>,
        per_page: Option<u64>,
    },
}

/// The most pages one walk reads by default.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// One page as read.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Value>,
    pub body: Value,
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    for part in header.split(',') {
        let mut bits = part.split(';');
        let url = bits.next()?.trim();
        let is_next = bits.any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"next\"" || p == "rel=next"
        });
        if is_next {
            let u = url.trim_start_matches('<').trim_end_matches('>');
            if !u.is_empty() {
                return Some(u.to_string());
            }
        }
    }
    None
}

/// The records of `body` at `pointer`: an array (each element), an object (one record),
/// null or missing (none). Anything else is a malformed response.
pub fn records_at(body: &Value, pointer: &str, url: &str) -> Result<Vec<Value>, HttpError> {
    match body.pointer(pointer) {
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(Value::Null) | None if !pointer.is_empty() => Ok(Vec::new()),
        Some(v @ Value::Object(_)) if !pointer.is_empty() => Ok(vec![v.clone()]),
        _ => Err(HttpError::Malformed {
            url: url.to_string(),
            message: format!(
                "expected a list of records at JSON pointer {:?}",
                if pointer.is_empty() {
                    "(the body)"
                } else {
                    pointer
                }
            ),
        }),
    }
}

fn text_at<'a>(body: &'a Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

impl HttpClient {
    /// Every record of a paged GET. `on_page` sees each page as it arrives (progress,
    /// streaming); the records are also returned, in order.
    pub async fn get_all(
        &self,
        path: &str,
        query: &[(&str, String)],
        records: &str,
        style: &Pagination,
        max_pages: usize,
    ) -> Result<Vec<Value>, HttpError> {
        let mut out = Vec::new();
        self.walk(path, query, records, style, max_pages, |p| {
            out.extend(p.records);
        })
        .await?;
        Ok(out)
    }

    /// Walk the pages of a GET, handing each to `on_page`. Returns the pages read.
    pub async fn walk(
        &self,
        path: &str,
        query: &[(&str, String)],
        records: &str,
        style: &Pagination,
        max_pages: usize,
        mut on_page: impl FnMut(Page),
    ) -> Result<usize, HttpError> {
        let mut next: Option<String> = Some(path.to_string());
        let mut q: Vec<(&str, String)> = query.to_vec();
        let mut page_no = match style {
            Pagination::PageNumber { start, .. } => *start,
            _ => 0,
        };
        if let Pagination::PageNumber { param, .. } = style {
            q.retain(|(k, _)| k != param);
            q.push((param.as_str(), page_no.to_string()));
        }
        let mut pages = 0usize;
        let mut seen_cursors = std::collections::HashSet::new();
        while let Some(target) = next.take() {
            if pages >= max_pages {
                return Err(HttpError::Malformed {
                    url: self.scrubber().scrub(&target),
                    message: format!(
                        "stopped after {max_pages} pages: the API kept returning a next page"
                    ),
                });
            }
            let resp = self.get(&target, &q).await?;
            pages += 1;
            let body = if resp.body.is_empty() {
                Value::Null
            } else {
                resp.json()?
            };
            let recs = records_at(&body, records, &resp.url)?;
            let n = recs.len() as u64;
            match style {
                Pagination::None => {}
                Pagination::LinkHeader => {
                    if let Some(l) = resp.header("link").and_then(next_link) {
                        // The next URL carries its own query.
                        q.clear();
                        next = Some(l);
                    }
                }
                Pagination::BodyCursor { pointer, param } => {
                    if let Some(c) = text_at(&body, pointer) {
                        if !seen_cursors.insert(c.to_string()) {
                            return Err(HttpError::Malformed {
                                url: resp.url.clone(),
                                message: format!("the cursor at {pointer} repeated itself"),
                            });
                        }
                        q.retain(|(k, _)| k != param);
                        q.push((param.as_str(), c.to_string()));
                        next = Some(path.to_string());
                    }
                }
                Pagination::NextUrl { pointer } => {
                    if let Some(u) = text_at(&body, pointer) {
                        if !seen_cursors.insert(u.to_string()) {
                            return Err(HttpError::Malformed {
                                url: resp.url.clone(),
                                message: format!("the next link at {pointer} repeated itself"),
                            });
                        }
                        q.clear();
                        next = Some(u.to_string());
                    }
                }
                Pagination::PageNumber {
                    param,
                    total_pointer,
                    per_page,
                    ..
                } => {
                    let total = total_pointer
                        .as_deref()
                        .and_then(|p| body.pointer(p))
                        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
                    let more = match total {
                        Some(t) => page_no < t,
                        None => n > 0 && per_page.map_or(true, |pp| n >= pp),
                    };
                    if more && n > 0 {
                        page_no += 1;
                        q.retain(|(k, _)| k != param);
                        q.push((param.as_str(), page_no.to_string()));
                        next = Some(path.to_string());
                    }
                }
            }
            on_page(Page {
                records: recs,
                body,
            });
        }
        Ok(pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_is_found_among_others() {
        let h = r#"<https://api.github.com/orgs/a/members?page=1>; rel="prev", <https://api.github.com/orgs/a/members?page=3>; rel="next", <https://api.github.com/orgs/a/members?page=9>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/orgs/a/members?page=3")
        );
        assert_eq!(next_link(r#"<https://x/?p=1>; rel="prev""#), None);
        // Okta writes one Link header per relation; reqwest joins them with commas.
        assert_eq!(
            next_link(r#"<https://o/api/v1/users?limit=2>; rel="self", <https://o/api/v1/users?after=00u2&limit=2>; rel="next""#).as_deref(),
            Some("https://o/api/v1/users?after=00u2&limit=2")
        );
    }

    #[test]
    fn records_are_taken_by_pointer() {
        let v: Value = serde_json::json!({"members": [{"id": 1}, {"id": 2}], "x": null});
        assert_eq!(records_at(&v, "/members", "u").unwrap().len(), 2);
        assert_eq!(records_at(&v, "/x", "u").unwrap().len(), 0);
        assert_eq!(records_at(&v, "/missing", "u").unwrap().len(), 0);
        let top: Value = serde_json::json!([{"id": 1}]);
        assert_eq!(records_at(&top, "", "u").unwrap().len(), 1);
        let e = records_at(&v, "", "u").unwrap_err();
        assert_eq!(e.class(), "malformed");
        let s: Value = serde_json::json!({"members": "nope"});
        assert!(records_at(&s, "/members", "u").is_err());
    }
}
