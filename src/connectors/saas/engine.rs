//! The engine that runs a validated [`Spec`] against one tenant: authenticate, walk each
//! endpoint's pages, map every record to an NHI, run the follow-up requests of each
//! record (bounded concurrency, cached by URL), and turn every fault into coverage.
//!
//! Endpoints run in spec order (a `for_each` endpoint after its parent). The records of a
//! top-level endpoint stream from the page walk into per-record tasks; a `for_each`
//! endpoint runs one task per parent record. What a fault means:
//!
//! - `auth` (401, or an error code the spec lists under `errors.auth`): the source failed;
//! - `not_found` (404/410, or a code under `errors.not_on_plan`) on an `optional` endpoint:
//!   a coverage note (not on this plan), not an error;
//! - anything else, a 403 or a missing scope included: the source is partial and the
//!   message names the permission that grants the endpoint (`requires`).

use super::auth::{self, AuthConfig, Plan};
use super::spec::{scalar, BodyErrors, Endpoint, Follow, HintSpec, Spec, Test};
use crate::connectors::http::{Auth, HttpClient, HttpError, HttpSettings, Pagination};
use crate::connectors::Progress;
use crate::model::{Coverage, Evidence, Kind, Nhi, NhiStatus, OwnerHint, Signal};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;

/// Everything a scan of one tenant needs, resolved from the config at build time.
#[derive(Debug, Clone)]
pub struct Source {
    /// `saas:okta`, or `saas:okta:NAME` for a named tenant.
    pub connector: String,
    /// The resource prefix: the spec's name (`okta#user:00u…`).
    pub label: String,
    pub spec: Arc<Spec>,
    pub base_url: String,
    pub vars: BTreeMap<String, String>,
    pub auth: AuthConfig,
    pub settings: HttpSettings,
    pub max_pages: usize,
}

type Cached = Arc<OnceCell<Result<Arc<Vec<Value>>, HttpError>>>;

#[derive(Default)]
struct Issues {
    /// (endpoint or follow-up, class) → first message, count.
    errors: BTreeMap<(String, String), (String, u64)>,
    notes: Vec<String>,
    /// (class, message) of the failure that stopped the scan.
    fatal: Option<(&'static str, String)>,
    /// Follow-ups that found nothing (404), by name.
    not_found: BTreeMap<String, u64>,
    items: u64,
    no_id: u64,
}

struct Run {
    src: Source,
    client: HttpClient,
    cache: Mutex<HashMap<String, Cached>>,
    issues: Mutex<Issues>,
    tasks: Arc<Semaphore>,
}

/// What one record became.
#[derive(Default)]
struct RecOut {
    nhi: Option<Nhi>,
    keep: Option<Value>,
}

/// Scan the tenant: the NHIs found and the coverage entry.
pub async fn run(src: &Source, progress: &Progress) -> (Vec<Nhi>, Coverage) {
    let name = src.connector.clone();
    let running = progress.start(&name);
    let mut cov = Coverage::new(&name);
    running.phase("credentials", 0, None);
    let plan = match auth::plan(&src.spec.auth, &src.auth, &src.vars, &name) {
        Ok(p) => p,
        Err(m) => {
            cov.classed_fail("config", m);
            return (Vec::new(), cov);
        }
    };
    let initial = match &plan {
        Plan::Static(a) => a.clone(),
        _ => Auth::None,
    };
    let client = match HttpClient::new(&src.base_url, initial, src.settings.clone()) {
        Ok(c) => c,
        Err(e) => {
            cov.classed_fail(e.class(), format!("{name}: {e}"));
            return (Vec::new(), cov);
        }
    };
    let headers: Vec<(&str, &str)> = src
        .spec
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let client = client.with_headers(&headers);
    let mut token_throttled = 0;
    let exchanged = match &plan {
        Plan::Static(_) => Ok(None),
        Plan::ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } => auth::client_credentials(
            token_url,
            client_id,
            client_secret,
            scope.as_deref(),
            &src.settings,
        )
        .await
        .map(Some),
        Plan::Google {
            key,
            token_url,
            scopes,
            subject,
        } => auth::google_token(key, token_url, scopes, subject.as_deref(), &src.settings)
            .await
            .map(Some),
    };
    match exchanged {
        Ok(Some((tok, throttled))) => {
            token_throttled = throttled;
            client.set_auth(Auth::Bearer(tok));
        }
        Ok(None) => {}
        Err(e) => {
            cov.classed_fail(
                e.class(),
                format!(
                    "{name}: the {} token exchange failed: {}: nothing was scanned",
                    src.spec.auth.as_str(),
                    client.scrubber().scrub(&e.to_string())
                ),
            );
            cov.throttled = token_throttled;
            return (Vec::new(), cov);
        }
    }
    let in_flight = src.settings.in_flight.max(1);
    let run = Arc::new(Run {
        src: src.clone(),
        client: client.clone(),
        cache: Mutex::new(HashMap::new()),
        issues: Mutex::new(Issues::default()),
        tasks: Arc::new(Semaphore::new(in_flight * 4)),
    });
    let mut kept: Vec<Option<Arc<Vec<Value>>>> = vec![None; src.spec.endpoints.len()];
    let mut found: BTreeMap<(Kind, String), Nhi> = BTreeMap::new();
    for ix in 0..src.spec.endpoints.len() {
        if run.lock().fatal.is_some() {
            break;
        }
        let ep = &src.spec.endpoints[ix];
        running.phase(&ep.name, 0, None);
        let outs = match ep.for_each {
            None => run_top(&run, ix, &running).await,
            Some(p) => {
                let parents = kept[p].clone().unwrap_or_default();
                run_children(&run, ix, parents, &running).await
            }
        };
        let mut keep = Vec::new();
        for o in outs {
            if let Some(k) = o.keep {
                keep.push(k);
            }
            if let Some(n) = o.nhi {
                merge(&mut found, n);
            }
        }
        if ep.is_parent {
            kept[ix] = Some(Arc::new(keep));
        }
    }
    let issues = std::mem::take(&mut *run.lock());
    cov.items_scanned = issues.items;
    for ((what, class), (msg, n)) in &issues.errors {
        if *n > 1 {
            cov.classed_error(
                class,
                format!("{msg} (and {} more like it under {what})", n - 1),
            );
        } else {
            cov.classed_error(class, msg.clone());
        }
    }
    for (follow, n) in &issues.not_found {
        cov.notes.push(format!(
            "{name}: {n} {follow} lookup(s) found nothing (HTTP 404: deleted since); the records are reported without what they would have added"
        ));
    }
    cov.notes.extend(issues.notes);
    if issues.no_id > 0 {
        cov.skipped.insert("no_id".into(), issues.no_id);
    }
    if let Some((class, f)) = issues.fatal {
        cov.classed_fail(class, f);
    }
    cov.throttled = client.stats().throttled() + token_throttled;
    progress.add_items(issues.items);
    (found.into_values().collect(), cov)
}

/// The same NHI seen twice (an app in several log entries): one record, every hint.
fn merge(found: &mut BTreeMap<(Kind, String), Nhi>, n: Nhi) {
    match found.get_mut(&(n.kind, n.resource.clone())) {
        Some(old) => {
            for h in n.hints {
                if !old.hints.contains(&h) {
                    old.hints.push(h);
                }
            }
            for (k, v) in n.attributes {
                old.attributes.entry(k).or_insert(v);
            }
            old.privileged |= n.privileged;
        }
        None => {
            found.insert((n.kind, n.resource.clone()), n);
        }
    }
}

impl Run {
    fn lock(&self) -> std::sync::MutexGuard<'_, Issues> {
        self.issues.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spec(&self) -> &Spec {
        &self.src.spec
    }

    /// Record a failed request of `what` (an endpoint or a follow-up).
    fn fault(
        &self,
        ep: &Endpoint,
        what: &str,
        path: &str,
        optional: bool,
        requires: Option<&str>,
        e: &HttpError,
    ) {
        let name = &self.src.connector;
        let scrub = |s: &str| self.client.scrubber().scrub(s);
        let mut is = self.lock();
        match e.class() {
            "auth" => {
                if is.fatal.is_none() {
                    is.fatal = Some((
                        "auth",
                        format!(
                            "{name}: {what} ({path}): {}: the credential was rejected; nothing more was read",
                            scrub(&e.to_string())
                        ),
                    ));
                }
            }
            "not_found" if optional => {
                let note = format!(
                    "{name}: {what} ({path}) is not available on this tenant or plan ({}): skipped",
                    short(&scrub(&e.to_string()))
                );
                if !is.notes.contains(&note) {
                    is.notes.push(note);
                }
            }
            class => {
                let needs = requires
                    .map(str::to_string)
                    .unwrap_or_else(|| self.spec().requires_of(ep));
                let hint = if class == "forbidden" && !needs.is_empty() {
                    format!("; it needs {needs}")
                } else {
                    String::new()
                };
                let msg = format!("{name}: {what} ({path}): {}{hint}", scrub(&e.to_string()));
                let entry = is
                    .errors
                    .entry((what.to_string(), class.to_string()))
                    .or_insert((msg, 0));
                entry.1 += 1;
            }
        }
    }

    /// Read every page of a GET, checking each body for an in-band error.
    async fn fetch(
        &self,
        path: &str,
        query: &[(String, String)],
        records: &str,
        style: &Pagination,
        max_pages: usize,
        on_records: impl FnMut(Vec<Value>),
    ) -> Result<(), HttpError> {
        let q: Vec<(&str, String)> = query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let errors = self.spec().errors.clone();
        let mut in_band: Option<HttpError> = None;
        let mut on_records = on_records;
        if *style == Pagination::None {
            // One request: the body itself may be the one record (`/users/{id}`).
            let resp = self.client.get(path, &q).await?;
            let body = if resp.body.is_empty() {
                Value::Null
            } else {
                resp.json()?
            };
            if let Some(e) = errors.as_ref().and_then(|be| body_error(be, &body, path)) {
                return Err(e);
            }
            let recs = match body.pointer(records) {
                Some(Value::Array(a)) => a.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(v @ Value::Object(_)) => vec![v.clone()],
                Some(_) => {
                    return Err(HttpError::Malformed {
                        url: resp.url.clone(),
                        message: format!("expected a list of records at JSON pointer {records:?}"),
                    })
                }
            };
            on_records(recs);
            return Ok(());
        }
        let walked = self
            .client
            .walk(path, &q, records, style, max_pages, |page| {
                if in_band.is_some() {
                    return;
                }
                if let Some(be) = &errors {
                    if let Some(e) = body_error(be, &page.body, path) {
                        in_band = Some(e);
                        return;
                    }
                }
                on_records(page.records);
            })
            .await;
        match (walked, in_band) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(e),
            (Ok(_), None) => Ok(()),
        }
    }

    /// A follow-up list, read once per URL for the whole scan.
    async fn follow_cached(
        &self,
        path: &str,
        query: &[(String, String)],
        f: &Follow,
    ) -> Result<Arc<Vec<Value>>, HttpError> {
        let key = format!("{path}?{query:?}#{}", f.records);
        let cell = {
            let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            c.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async {
            let mut out = Vec::new();
            self.fetch(
                path,
                query,
                &f.records,
                &f.pagination,
                self.src.max_pages,
                |r| out.extend(r),
            )
            .await
            .map(|_| Arc::new(out))
        })
        .await
        .clone()
    }
}

/// An error the API reported in a 2xx body (Slack's `{"ok": false, "error": "..."}`).
fn body_error(be: &BodyErrors, body: &Value, url: &str) -> Option<HttpError> {
    let failed = match &be.ok_pointer {
        Some(p) => body.pointer(p).and_then(Value::as_bool) == Some(false),
        None => body
            .pointer(&be.error_pointer)
            .is_some_and(|v| !v.is_null()),
    };
    if !failed {
        return None;
    }
    let code = body
        .pointer(&be.error_pointer)
        .and_then(scalar)
        .unwrap_or_else(|| "unknown_error".into());
    let detail = be
        .detail_pointer
        .as_deref()
        .and_then(|p| body.pointer(p))
        .and_then(scalar)
        .map(|d| format!(" (needs {d})"))
        .unwrap_or_default();
    let message = format!("the API answered error {code}{detail}");
    let url = url.to_string();
    Some(if be.auth.contains(&code) {
        HttpError::Auth {
            status: 200,
            url,
            message,
        }
    } else if be.forbidden.contains(&code) {
        HttpError::Forbidden { url, message }
    } else if be.not_on_plan.contains(&code) {
        HttpError::NotFound {
            status: 200,
            url,
            message,
        }
    } else if code == "ratelimited" {
        HttpError::RateLimited {
            url,
            retry_after: None,
            message,
        }
    } else {
        HttpError::Malformed { url, message }
    })
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(160).collect();
    if s.chars().count() > 160 {
        format!("{t}…")
    } else {
        t
    }
}

/// A top-level endpoint: its pages stream into per-record tasks.
async fn run_top(
    run: &Arc<Run>,
    ix: usize,
    running: &crate::connectors::Running<'_>,
) -> Vec<RecOut> {
    let ep = &run.spec().endpoints[ix];
    let vars = &run.src.vars;
    let empty = Value::Null;
    let Some(path) = ep.path.as_ref().and_then(|p| p.render(&empty, None, vars)) else {
        return Vec::new();
    };
    let query: Vec<(String, String)> = ep
        .query
        .iter()
        .filter_map(|(k, t)| Some((k.clone(), t.render(&empty, None, vars)?)))
        .collect();
    let max_pages = ep.max_pages.unwrap_or(run.src.max_pages);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Value>>();
    let walker = {
        let run = run.clone();
        let path = path.clone();
        async move {
            run.fetch(
                &path,
                &query,
                &ep.records,
                &ep.pagination,
                max_pages,
                |recs| {
                    let _ = tx.send(recs);
                },
            )
            .await
        }
    };
    let consumer = async {
        let mut set: JoinSet<(usize, RecOut)> = JoinSet::new();
        let mut outs: Vec<(usize, RecOut)> = Vec::new();
        let mut seq = 0usize;
        while let Some(recs) = rx.recv().await {
            run.lock().items += recs.len() as u64;
            for rec in recs {
                let permit = run.tasks.clone().acquire_owned().await.ok();
                let r = run.clone();
                let n = seq;
                seq += 1;
                set.spawn(async move {
                    let out = process(&r, ix, rec, None).await;
                    drop(permit);
                    (n, out)
                });
                while let Some(done) = set.try_join_next() {
                    if let Ok(o) = done {
                        outs.push(o);
                    }
                }
            }
            running.phase(&ep.name, seq as u64, None);
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(o) => outs.push(o),
                Err(e) => {
                    let msg = format!(
                        "{}: endpoint {}: a record task failed: {e}",
                        run.src.connector, ep.name
                    );
                    let mut is = run.lock();
                    let entry = is
                        .errors
                        .entry((ep.name.clone(), "panic".into()))
                        .or_insert((msg, 0));
                    entry.1 += 1;
                }
            }
        }
        outs.sort_by_key(|(n, _)| *n);
        outs.into_iter().map(|(_, o)| o).collect::<Vec<_>>()
    };
    let (walked, outs) = tokio::join!(walker, consumer);
    if let Err(e) = walked {
        run.fault(
            ep,
            &format!("endpoint {}", ep.name),
            &path,
            ep.optional,
            None,
            &e,
        );
    }
    outs
}

/// A `for_each` endpoint: one task per parent record.
async fn run_children(
    run: &Arc<Run>,
    ix: usize,
    parents: Arc<Vec<Value>>,
    running: &crate::connectors::Running<'_>,
) -> Vec<RecOut> {
    let ep = &run.spec().endpoints[ix];
    let total = parents.len() as u64;
    let mut set: JoinSet<(usize, Vec<RecOut>)> = JoinSet::new();
    let mut outs: Vec<(usize, Vec<RecOut>)> = Vec::new();
    for i in 0..parents.len() {
        let permit = run.tasks.clone().acquire_owned().await.ok();
        let r = run.clone();
        let parents = parents.clone();
        set.spawn(async move {
            let out = child(&r, ix, &parents[i]).await;
            drop(permit);
            (i, out)
        });
        while let Some(done) = set.try_join_next() {
            if let Ok(o) = done {
                outs.push(o);
            }
        }
        running.phase(&ep.name, outs.len() as u64, Some(total));
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok(o) => outs.push(o),
            Err(e) => {
                let msg = format!(
                    "{}: endpoint {}: a task failed: {e}",
                    run.src.connector, ep.name
                );
                let mut is = run.lock();
                let entry = is
                    .errors
                    .entry((ep.name.clone(), "panic".into()))
                    .or_insert((msg, 0));
                entry.1 += 1;
            }
        }
    }
    outs.sort_by_key(|(n, _)| *n);
    outs.into_iter().flat_map(|(_, o)| o).collect()
}

async fn child(run: &Arc<Run>, ix: usize, parent: &Value) -> Vec<RecOut> {
    let ep = &run.spec().endpoints[ix];
    let vars = &run.src.vars;
    let recs: Vec<Value> = match &ep.path {
        None => match parent.pointer(&ep.records) {
            Some(Value::Array(a)) => a.clone(),
            Some(v @ Value::Object(_)) => vec![v.clone()],
            _ => Vec::new(),
        },
        Some(p) => {
            let Some(path) = p.render(&Value::Null, Some(parent), vars) else {
                return Vec::new();
            };
            let query: Vec<(String, String)> = ep
                .query
                .iter()
                .filter_map(|(k, t)| Some((k.clone(), t.render(&Value::Null, Some(parent), vars)?)))
                .collect();
            let mut out = Vec::new();
            let max_pages = ep.max_pages.unwrap_or(run.src.max_pages);
            if let Err(e) = run
                .fetch(&path, &query, &ep.records, &ep.pagination, max_pages, |r| {
                    out.extend(r)
                })
                .await
            {
                let shown =
                    p.0.iter()
                        .map(|x| match x {
                            super::spec::Part::Lit(s) => s.clone(),
                            _ => "{…}".into(),
                        })
                        .collect::<String>();
                run.fault(
                    ep,
                    &format!("endpoint {}", ep.name),
                    &shown,
                    ep.optional,
                    None,
                    &e,
                );
            }
            out
        }
    };
    run.lock().items += recs.len() as u64;
    let mut outs = Vec::with_capacity(recs.len());
    for rec in recs {
        outs.push(process(run, ix, rec, Some(parent)).await);
    }
    outs
}

/// Case-sensitive lookup first, then case-insensitive (`ACTIVE` vs `active`).
fn map_status(m: &BTreeMap<String, NhiStatus>, v: &str) -> Option<NhiStatus> {
    m.get(v).copied().or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(v))
            .map(|(_, s)| *s)
    })
}

/// RFC 3339, a date, or epoch seconds (milliseconds when that large).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(n) = s.parse::<f64>() {
        if n <= 0.0 {
            return None;
        }
        let secs = if n > 1e11 { n / 1000.0 } else { n };
        return Utc.timestamp_opt(secs as i64, 0).single();
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// The words a title uses for a kind.
pub fn kind_phrase(k: Kind) -> &'static str {
    match k {
        Kind::SaasUser => "account",
        Kind::SaasAdmin => "admin",
        Kind::SaasApiToken => "API token",
        Kind::SaasApp => "app",
        Kind::SaasOauthGrant => "OAuth grant",
        Kind::SaasServiceAccount => "service account",
        _ => "record",
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y"
    )
}

fn default_detail(signal: Signal, id: &str, what: &str) -> String {
    match signal {
        Signal::Account => format!("{what} is the account of {id}"),
        Signal::CreatorField => format!("{what} was created by {id}"),
        Signal::AuditEvent => format!("the audit log says {id} created {what}"),
        Signal::OwnerTag => format!("{id} is a declared owner of {what}"),
        Signal::Approval => format!("{id} approved (consented to or installed) {what}"),
        Signal::Access => format!("{id} can use {what}"),
        _ => format!("{what} names {id}"),
    }
}

/// Turn hint specs into owner hints for one record.
#[allow(clippy::too_many_arguments)]
fn hints_for(
    run: &Run,
    specs: &[HintSpec],
    rec: &Value,
    parent: Option<&Value>,
    source_default: &str,
    what: &str,
    out: &mut Vec<OwnerHint>,
) {
    let vars = &run.src.vars;
    for h in specs {
        let Some(id) = h.identifier.render(rec, parent, vars) else {
            continue;
        };
        let id = id.trim().to_string();
        if id.is_empty() {
            continue;
        }
        let source = h
            .source
            .as_ref()
            .and_then(|t| t.render(rec, parent, vars))
            .unwrap_or_else(|| source_default.to_string());
        let detail = h
            .detail
            .as_ref()
            .and_then(|t| t.render(rec, parent, vars))
            .unwrap_or_else(|| default_detail(h.signal, &id, what));
        let hint = OwnerHint::new(id, h.signal, Evidence::new(source, detail));
        if !out.contains(&hint) {
            out.push(hint);
        }
    }
}

/// One record: rules, mapping, follow-ups.
async fn process(run: &Run, ix: usize, rec: Value, parent: Option<&Value>) -> RecOut {
    let spec = run.spec();
    let ep = &spec.endpoints[ix];
    let vars = &run.src.vars;
    let mut kind = None;
    let mut status = None;
    let mut admin = None;
    for w in &ep.when {
        let v = w.pointer.render(&rec, parent, vars);
        let hit = match &w.test {
            Test::Equals(list) => v.as_ref().is_some_and(|v| list.iter().any(|x| x == v)),
            Test::Present(p) => v.is_some() == *p,
        };
        if !hit {
            continue;
        }
        if w.skip {
            return RecOut::default();
        }
        kind = kind.or(w.kind);
        status = status.or(w.status);
        admin = admin.or(w.admin);
    }
    let mut out = RecOut::default();
    if ep.is_parent {
        out.keep = Some(rec.clone());
    }
    let Some(kind) = kind.or(ep.kind) else {
        return out;
    };
    let m = &ep.map;
    let render =
        |t: &Option<super::spec::Template>| t.as_ref().and_then(|t| t.render(&rec, parent, vars));
    let Some(id) = render(&m.id) else {
        run.lock().no_id += 1;
        return out;
    };
    let short_kind = kind.as_str().trim_start_matches("saas_");
    let resource = format!("{}#{short_kind}:{id}", run.src.label);
    let name = render(&m.name).unwrap_or_else(|| id.clone());
    let title =
        render(&m.title).unwrap_or_else(|| format!("{} {} {name}", spec.title, kind_phrase(kind)));
    let mut nhi = Nhi::new(run.src.connector.clone(), kind, resource.clone(), title);
    nhi.status = status
        .or_else(|| render(&m.status).and_then(|v| map_status(&m.status_map, &v)))
        .unwrap_or(m.status_default);
    nhi.created_at = render(&m.created).and_then(|s| parse_time(&s));
    nhi.last_used_at = render(&m.last_used).and_then(|s| parse_time(&s));
    if let Some(exp) = render(&m.expires).and_then(|s| parse_time(&s)) {
        nhi.attributes.insert(
            "expires_at".into(),
            exp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        if exp < Utc::now() {
            nhi.attributes.insert("expired".into(), "true".into());
            nhi.status = NhiStatus::Inactive;
        }
    }
    nhi.privileged = kind == Kind::SaasAdmin
        || admin.unwrap_or(false)
        || render(&m.admin).is_some_and(|v| truthy(&v));
    nhi.attributes.insert("name".into(), name.clone());
    for (k, t) in &m.attributes {
        let v = match t.single(&rec, parent) {
            Some(Value::Array(a)) if a.iter().any(|x| x.is_object()) => Some(a.len().to_string()),
            _ => t.render(&rec, parent, vars),
        };
        if let Some(v) = v {
            nhi.attributes.insert(k.clone(), v);
        }
    }
    let what = format!("{} {} {name} ({id})", spec.title, kind_phrase(kind));
    let source = format!("{}:{}", spec.name, ep.name);
    let mut hints = Vec::new();
    hints_for(run, &ep.hints, &rec, parent, &source, &what, &mut hints);
    for f in &ep.follow {
        let Some(path) = f.path.render(&rec, parent, vars) else {
            continue;
        };
        let query: Vec<(String, String)> = f
            .query
            .iter()
            .filter_map(|(k, t)| Some((k.clone(), t.render(&rec, parent, vars)?)))
            .collect();
        match run.follow_cached(&path, &query, f).await {
            Ok(frecs) => {
                let fsource = format!("{}:{}", spec.name, f.name);
                for fr in frecs.iter() {
                    hints_for(run, &f.hints, fr, Some(&rec), &fsource, &what, &mut hints);
                    if let Some(st) = f
                        .status
                        .as_ref()
                        .and_then(|t| t.render(fr, Some(&rec), vars))
                        .and_then(|v| map_status(&f.status_map, &v))
                    {
                        if st == NhiStatus::Inactive {
                            nhi.status = NhiStatus::Inactive;
                        }
                    }
                    for (k, t) in &f.attributes {
                        if let Some(v) = t.render(fr, Some(&rec), vars) {
                            nhi.attributes.entry(k.clone()).or_insert(v);
                        }
                    }
                }
            }
            Err(e) if e.class() == "not_found" && !f.optional => {
                *run.lock().not_found.entry(f.name.clone()).or_default() += 1;
            }
            // An optional follow-up is read "where readable": a missing permission or an
            // endpoint not on the plan is a note, not a partial source.
            Err(e) if f.optional && matches!(e.class(), "not_found" | "forbidden") => {
                let note = format!(
                    "{}: follow-up {} of endpoint {} was not readable ({}); {}",
                    run.src.connector,
                    f.name,
                    ep.name,
                    e.class(),
                    f.requires
                        .as_deref()
                        .map(|r| format!("grant {r} to read it"))
                        .unwrap_or_else(|| "it is optional".into())
                );
                let mut is = run.lock();
                if !is.notes.contains(&note) {
                    is.notes.push(note);
                }
            }
            Err(e) => {
                let shown = f
                    .path
                    .0
                    .iter()
                    .map(|x| match x {
                        super::spec::Part::Lit(s) => s.clone(),
                        _ => "{…}".into(),
                    })
                    .collect::<String>();
                run.fault(
                    ep,
                    &format!("follow-up {} of endpoint {}", f.name, ep.name),
                    &shown,
                    f.optional,
                    f.requires.as_deref(),
                    &e,
                );
            }
        }
    }
    nhi.hints = hints;
    out.nhi = Some(nhi);
    out
}
