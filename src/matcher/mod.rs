//! The scanning engine: compiles a [`RuleSet`] into a literal prefilter plus per-rule
//! regexes, and finds secrets in byte buffers. Pure and thread-safe (`&self` scans from
//! many rayon workers); knows nothing about files, git or people, and never logs or
//! prints a secret.
//!
//! # How a scan works
//!
//! 1. One pass of the keyword prefilter (a shift-or scanner, see [`keywords`]; ASCII
//!    case-insensitive) over the buffer finds every occurrence of every rule's keywords.
//!    Buffers without a keyword cost that one pass and allocate nothing.
//! 2. Each keyword hit selects the rules that own the keyword, and how each runs is fixed
//!    when the rule is compiled:
//!    - A rule whose pattern can never match a newline (checked on the parsed pattern)
//!      runs only on the lines that hold its keywords; since every match of a rule
//!      contains one of its keywords, and a newline-free match lies inside one line, this
//!      finds exactly the matches a whole-buffer search would (slicing at line boundaries
//!      changes neither `\b` nor `(?m)^`/`(?m)$`, and bare `^`/`$` are rejected at load).
//!    - A rule that can span lines (`\s*` between a name and its value, PEM blocks) but
//!      whose every match starts with a literal holding one of its keywords at a known
//!      offset (found on the parsed pattern, case folded; see [`keyword_offsets`]) is
//!      *anchored*: its regex is tried only at the starts those offsets give, in order,
//!      skipping starts inside the previous match. That is exactly the sequence of
//!      matches a whole-buffer search yields, since no match can start anywhere else.
//!    - Other rules that can span lines run over the whole buffer, and only when one of
//!      their keywords occurs in it.
//! 3. Each candidate is filtered: entropy floor, documented example credentials,
//!    placeholder values (for rules that ask), and lines carrying `nhiscan:allow`. A rule's
//!    format validator (a GitHub token's checksum, see [`crate::rules::Validator`]) does
//!    not filter: a failed check marks the finding and lowers its severity.
//! 4. [`Matcher::scan`] keeps one match per span: a specific rule beats a generic one,
//!    then the longer secret wins, then the earlier rule.
//! 5. Line numbers are counted only for surviving matches, incrementally.

mod keywords;

use crate::model::SecretBytes;
use crate::rules::{Rule, RuleError, RuleSet, Validator};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use memchr::memmem;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The inline allowlist marker: a line containing it never yields a match.
pub const ALLOW_MARKER: &[u8] = b"nhiscan:allow";

/// Documented example credentials (AWS's above all): never a finding, whatever rule sees
/// them, wherever they appear in the match.
const KNOWN_EXAMPLES: &[&[u8]] = &[
    // AWS's documented key pairs. The first two as prefixes: SDK test suites edit the
    // ending (`AKIAIOSFODNN7EXAMPLF`, `…/K7MDENG+bPxRfiCYEXAMPLEKEY`).
    b"AKIAIOSFODNN7",
    b"wJalrXUtnFEMI/K7MDENG",
    b"AKIAI44QH8DHBEXAMPLE",
    b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // jwt.io's sample token signature and claims (`{"sub":"1234567890","name":"John Doe"…`,
    // re-signed in many test suites), PyJWT's documented `{"some":"payload"}` token, and
    // Stripe's documentation key body.
    b"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    b".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv",
    b".eyJzb21lIjoicGF5bG9hZCJ9.",
    b"4eC39HqLyjWDarjtT1zdp7dc",
    // OAuth's RFC examples, copied into every OAuth library's docs and tests: RFC 6749's
    // access token, refresh token, authorization code and client `s6BhdRkqt3:gX1fBat3bV`
    // (as Basic credentials), RFC 5849's consumer key and token.
    b"2YotnFZFEjr1zCsicMWpAA",
    b"tGzv3JOkF0XG5Qx2TlKWIA",
    b"SplxlOBeZQQYbYS6WxSbIA",
    b"czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    b"gX1fBat3bV",
    b"0685bd9184jfhq22",
    b"ad180jjd733klru7",
    // The Azure Storage emulator's (Azurite's) account key for `devstoreaccount1` and the
    // Cosmos DB emulator's key: fixed, published by Microsoft, and accepted only by the
    // local emulators. Whole bodies, so that any other key under the same account name
    // is still a finding.
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    b"C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
];

/// One secret found in a buffer.
#[derive(Debug, Clone)]
pub struct Match {
    pub rule: Arc<Rule>,
    /// Byte range of the secret within the buffer.
    pub start: usize,
    pub end: usize,
    /// 1-based line number of `start`.
    pub line: u64,
    pub secret: SecretBytes,
}

/// One rule, compiled.
struct Compiled {
    rule: Arc<Rule>,
    regex: Regex,
    /// Capture group index holding the secret (`secret`, else 1, else 0).
    group: usize,
    /// The pattern cannot match `\n`: the rule may run line by line.
    line_local: bool,
    /// For a rule that can span lines but whose every match starts at a fixed offset
    /// before one of its keywords: `^(?s:.)(?:pattern)`, run on `data[start - 1..]` to
    /// try a match at exactly `start` (the extra byte keeps `\b` and `(?m)^` seeing the
    /// byte before). See [`keyword_offsets`].
    anchored: Option<Anchored>,
    placeholders: bool,
    generic: bool,
}

/// Finds every keyword occurrence: the shift-or scanner, or Aho-Corasick when the
/// scanner cannot take the keywords (an empty one).
enum Prefilter {
    Shift(keywords::KeywordScanner),
    Ac(AhoCorasick),
}

/// A rule's anchored form, compiled on first use: a scan needs only those whose keywords
/// occur, and start-up stays as fast as without them.
struct Anchored {
    /// `^(?s:.)(?:pattern)`
    pattern: String,
    /// Capture groups the form must have: the rule's own.
    captures: usize,
    regex: std::sync::OnceLock<Option<Regex>>,
}

impl Anchored {
    /// The compiled form; `None` if it does not compile (the rule then runs over the
    /// whole buffer).
    fn get(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .size_limit(32 * 1024 * 1024)
                    .build()
                    .ok()
                    .filter(|re| re.captures_len() == self.captures)
            })
            .as_ref()
    }
}

/// A keyword selects a rule. For a rule with an anchored form, `offsets` says where its
/// matches may start: a hit at `h` is a candidate start at `h - d` for each `d`.
struct Route {
    rule: u32,
    offsets: Vec<usize>,
}

/// The compiled rule set. Build once, share by reference (`Send + Sync`).
pub struct Matcher {
    rules: Vec<Arc<Rule>>,
    compiled: Vec<Compiled>,
    /// Keyword prefilter; `None` when no rule has keywords.
    prefilter: Option<Prefilter>,
    /// Keyword id (= `prefilter` pattern id) -> rules it selects.
    keyword_rules: Vec<Vec<Route>>,
    /// Rules without keywords: run on every buffer.
    always: Vec<u32>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("rules", &self.rules.len())
            .finish()
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Matcher>();
};

impl Matcher {
    /// Compile every rule and the keyword prefilter. A pattern that does not compile is a
    /// [`RuleError::Invalid`] naming the rule and its file.
    pub fn new(rules: RuleSet) -> Result<Matcher, RuleError> {
        let mut compiled = Vec::with_capacity(rules.rules.len());
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_ids: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<Route>> = Vec::new();
        let mut always = Vec::new();
        let mut seen: HashMap<String, std::path::PathBuf> = HashMap::new();
        for (i, rule) in rules.rules.into_iter().enumerate() {
            if let Some(first) = seen.insert(rule.id.clone(), rule.origin.clone()) {
                return Err(RuleError::Duplicate {
                    id: rule.id,
                    first,
                    second: rule.origin,
                });
            }
            let hir = crate::rules::parse_pattern(&rule.pattern)
                .map_err(|m| crate::rules::invalid(&rule, m))?;
            let line_local = !can_match_newline(&hir);
            let regex = RegexBuilder::new(&rule.pattern)
                .unicode(false)
                .size_limit(32 * 1024 * 1024)
                .build()
                .map_err(|e| crate::rules::invalid(&rule, format!("bad pattern: {e}")))?;
            let group = regex
                .capture_names()
                .position(|n| n == Some("secret"))
                .unwrap_or(if regex.captures_len() > 1 { 1 } else { 0 });
            let lower: Vec<String> = rule
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect();
            // Rules that may span lines would otherwise run over the whole buffer.
            let offsets = if line_local {
                None
            } else {
                keyword_offsets(&hir, &lower)
            };
            let anchored = offsets
                .as_ref()
                .and_then(|_| anchored_form(&rule.pattern, &hir, regex.captures_len()));
            let offsets = if anchored.is_some() { offsets } else { None };
            let idx = i as u32;
            if rule.keywords.is_empty() {
                always.push(idx);
            }
            for key in &lower {
                let id = *keyword_ids.entry(key.clone()).or_insert_with(|| {
                    keywords.push(key.clone());
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if keyword_rules[id].iter().any(|r| r.rule == idx) {
                    continue;
                }
                let mut ds: Vec<usize> = offsets
                    .iter()
                    .flatten()
                    .filter(|(k, _)| k == key)
                    .map(|(_, d)| *d)
                    .collect();
                ds.sort_unstable();
                ds.dedup();
                keyword_rules[id].push(Route {
                    rule: idx,
                    offsets: ds,
                });
            }
            let placeholders = rule.filters_placeholders();
            let generic = rule.is_generic();
            // A failed check does not drop the match (see `Rule::checksum_ok`); an unknown
            // validator name is still a load error.
            if let Some(name) = rule.validate.as_deref() {
                Validator::from_name(name).ok_or_else(|| {
                    crate::rules::invalid(&rule, format!("unknown validator {name:?}"))
                })?;
            }
            compiled.push(Compiled {
                rule: Arc::new(rule),
                regex,
                group,
                line_local,
                anchored,
                placeholders,
                generic,
            });
        }
        let prefilter = if keywords.is_empty() {
            None
        } else if let Some(s) = keywords::KeywordScanner::new(&keywords) {
            Some(Prefilter::Shift(s))
        } else {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keywords)
                .or_else(|_| {
                    // Too many keywords for a DFA: let the library pick (slower, still correct).
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&keywords)
                })
                .map_err(|e| RuleError::Invalid {
                    id: "-".into(),
                    path: std::path::PathBuf::new(),
                    message: format!("building the keyword prefilter: {e}"),
                })?;
            Some(Prefilter::Ac(ac))
        };
        let rules = compiled.iter().map(|c| c.rule.clone()).collect();
        Ok(Matcher {
            rules,
            compiled,
            prefilter,
            keyword_rules,
            always,
        })
    }

    /// The built-in rules plus, when given, every `*.toml` under `dir`.
    pub fn load(dir: Option<&std::path::Path>) -> Result<Matcher, RuleError> {
        Matcher::new(RuleSet::load(dir)?)
    }

    /// Every secret in `data`, in order of position. Lines carrying an inline
    /// `nhiscan:allow` marker are skipped. Invalid UTF-8 is fine. Where several rules
    /// find overlapping secrets, one match survives: a specific rule beats a generic one,
    /// then the longer secret, then the rule listed first.
    pub fn scan(&self, data: &[u8]) -> Vec<Match> {
        let mut all = self.scan_rules(data, true);
        self.scan_k8s_secret_data(data, &mut all);
        if all.len() > 1 {
            dedupe(&mut all);
        }
        all
    }

    /// Kubernetes `Secret` manifests keep every value base64-encoded under `data:`, where
    /// no rule sees the credential (`DATABASE_URL: cG9zdGdyZXM6Ly9…`, a PEM key under
    /// `tls.key:`). In a buffer that declares `kind: Secret`, each `name: <base64>` line
    /// whose value decodes to text is scanned again as `name=<decoded>`; what that finds is
    /// reported at the encoded value's position with the decoded secret, and replaces any
    /// match on the encoded text itself (a generic rule seeing `password: <base64>`).
    fn scan_k8s_secret_data(&self, data: &[u8], out: &mut Vec<Match>) {
        if !K8S_SECRET_KINDS
            .iter()
            .any(|k| memmem::find(data, k).is_some())
        {
            return;
        }
        let mut allow = AllowCheck::new(data);
        let mut found = Vec::new();
        let mut spans = Vec::new();
        let (mut at, mut line) = (0usize, 1u64);
        for text in data.split(|&b| b == b'\n') {
            if let Some((name, (vs, ve))) = k8s_data_entry(text) {
                let (vs, ve) = (at + vs, at + ve);
                if let Some(decoded) = decode_base64_to_text(&data[vs..ve]) {
                    let mut synthetic = name.to_vec();
                    synthetic.push(b'=');
                    synthetic.extend_from_slice(&decoded);
                    let hits = self.scan_rules(&synthetic, true);
                    if !hits.is_empty() && !allow.is_allowed(vs, ve) {
                        spans.push((vs, ve));
                        found.extend(hits.into_iter().map(|m| Match {
                            start: vs,
                            end: ve,
                            line,
                            ..m
                        }));
                    }
                }
            }
            at += text.len() + 1;
            line += 1;
        }
        if found.is_empty() {
            return;
        }
        out.retain(|m| !spans.iter().any(|&(s, e)| m.start >= s && m.end <= e));
        out.extend(found);
        out.sort_by_key(|m| (m.start, m.end));
    }

    /// Like [`Matcher::scan`] with the specific (vendor-format) rules only, no catch-all
    /// ones: for minified bundles and other generated one-liners, where a hard-coded
    /// `sk_live_…` or `AKIA…` is a real leak but every `token:"…"` assignment is noise.
    pub fn scan_specific(&self, data: &[u8]) -> Vec<Match> {
        let mut all = self.scan_rules(data, false);
        if all.len() > 1 {
            dedupe(&mut all);
        }
        all
    }

    /// Like [`Matcher::scan`] but without merging overlapping matches of different rules
    /// (what `rules check` needs to see whether *this* rule fires on an example).
    pub fn scan_all(&self, data: &[u8]) -> Vec<Match> {
        self.scan_rules(data, true)
    }

    /// Every match of every rule (catch-all ones only with `generic`), not merged.
    fn scan_rules(&self, data: &[u8], generic: bool) -> Vec<Match> {
        let mut out = Vec::new();
        let n = self.compiled.len();
        // (rule, window start, window end). Allocated only on the first keyword hit.
        let mut windows: Vec<(u32, usize, usize)> = Vec::new();
        // (rule, candidate start) for rules with an anchored form.
        let mut starts: Vec<(u32, usize)> = Vec::new();
        let mut last_line_end: Vec<usize> = Vec::new();
        let mut whole: Vec<bool> = Vec::new();
        {
            // The line holding the latest hit; hits arrive (nearly) in order, so lines are
            // computed about once each even when a line holds many keywords. Order does not
            // matter for correctness: windows and starts are sorted and merged below.
            let (mut ls, mut le) = (usize::MAX, 0usize);
            let mut on_hit = |hs: usize, he: usize, kw: usize| {
                if whole.is_empty() {
                    whole = vec![false; n];
                    last_line_end = vec![usize::MAX; n];
                }
                for route in &self.keyword_rules[kw] {
                    let ri = route.rule as usize;
                    let c = &self.compiled[ri];
                    if c.generic && !generic {
                        continue;
                    }
                    if c.line_local {
                        if !(hs >= ls && he <= le) {
                            ls = memchr::memrchr(b'\n', &data[..hs]).map_or(0, |i| i + 1);
                            le = memchr::memchr(b'\n', &data[he..]).map_or(data.len(), |i| he + i);
                        }
                        if last_line_end[ri] != le {
                            last_line_end[ri] = le;
                            windows.push((route.rule, ls, le));
                        }
                    } else if c.anchored.is_some() {
                        for &d in &route.offsets {
                            if let Some(at) = hs.checked_sub(d) {
                                starts.push((route.rule, at));
                            }
                        }
                    } else {
                        whole[ri] = true;
                    }
                }
            };
            match &self.prefilter {
                Some(Prefilter::Shift(s)) => s.for_each_hit(data, on_hit),
                Some(Prefilter::Ac(ac)) => {
                    for hit in ac.find_overlapping_iter(data) {
                        on_hit(hit.start(), hit.end(), hit.pattern().as_usize());
                    }
                }
                None => {}
            }
        }
        for &r in &self.always {
            if self.compiled[r as usize].generic && !generic {
                continue;
            }
            if whole.is_empty() {
                whole = vec![false; n];
            }
            whole[r as usize] = true;
        }
        if windows.is_empty() && starts.is_empty() && !whole.iter().any(|w| *w) {
            return out;
        }
        let mut allow = AllowCheck::new(data);
        // Group each rule's lines and merge neighbours so that the regex runs once per
        // run of consecutive candidate lines.
        windows.sort_unstable();
        let mut i = 0;
        while i < windows.len() {
            let (r, start, mut end) = windows[i];
            let mut j = i + 1;
            while j < windows.len() && windows[j].0 == r && windows[j].1 <= end + 1 {
                end = end.max(windows[j].2);
                j += 1;
            }
            if !whole.get(r as usize).copied().unwrap_or(false) {
                self.run_rule(r as usize, data, start, end, &mut allow, &mut out);
            }
            i = j;
        }
        // Anchored rules: try the candidate starts in order, skipping those inside the
        // previous match, exactly as a whole-buffer search meets them.
        starts.sort_unstable();
        starts.dedup();
        let mut k = 0;
        while k < starts.len() {
            let r = starts[k].0;
            let Some(re) = self.compiled[r as usize]
                .anchored
                .as_ref()
                .and_then(Anchored::get)
            else {
                self.run_rule(r as usize, data, 0, data.len(), &mut allow, &mut out);
                while k < starts.len() && starts[k].0 == r {
                    k += 1;
                }
                continue;
            };
            let mut pos = 0usize;
            let mut locs = None;
            while k < starts.len() && starts[k].0 == r {
                let at = starts[k].1;
                k += 1;
                if at < pos {
                    continue;
                }
                let c = &self.compiled[r as usize];
                let found = c.run_anchored(re, data, at, &mut locs, &mut allow, &mut out);
                if let Some(end) = found {
                    pos = end;
                }
            }
        }
        for (r, w) in whole.iter().enumerate() {
            if *w {
                self.run_rule(r, data, 0, data.len(), &mut allow, &mut out);
            }
        }
        out.sort_by_key(|m| (m.start, m.end));
        number_lines(data, &mut out);
        out
    }

    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// Run one rule's regex on `data[start..end]` and keep the candidates that pass the
    /// filters. `line` is left 0; the caller numbers lines once at the end.
    fn run_rule(
        &self,
        r: usize,
        data: &[u8],
        start: usize,
        end: usize,
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) {
        let c = &self.compiled[r];
        let hay = &data[start..end];
        // Most candidate lines hold a keyword and no match: answer that without captures.
        if hay.len() < data.len() && !c.regex.is_match(hay) {
            return;
        }
        for caps in c.regex.captures_iter(hay) {
            let Some(whole) = caps.get(0) else { continue };
            let m = caps.get(c.group).unwrap_or(whole);
            let span = (start + whole.start(), start + whole.end());
            c.keep(data, span, (start + m.start(), start + m.end()), allow, out);
        }
    }
}

impl Compiled {
    /// Try this rule for a match starting exactly at `at` with its anchored form `re`; at 0,
    /// take the leftmost match from 0, which is what a whole-buffer search finds first.
    /// Returns the end of the match found, whether the filters keep it or not.
    fn run_anchored(
        &self,
        re: &Regex,
        data: &[u8],
        at: usize,
        locs: &mut Option<CaptureLocations>,
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) -> Option<usize> {
        let (span, secret) = match at.checked_sub(1) {
            None => {
                let caps = self.regex.captures(data)?;
                let whole = caps.get(0)?;
                let m = caps.get(self.group).unwrap_or(whole);
                ((whole.start(), whole.end()), (m.start(), m.end()))
            }
            Some(base) => {
                // Capture slots are reused across the candidates of one buffer.
                let locs = locs.get_or_insert_with(|| re.capture_locations());
                let whole = re.captures_read(locs, &data[base..])?;
                // The anchored form's match begins with the byte before `at`.
                let span = (at, base + whole.end());
                let secret = match locs.get(self.group) {
                    Some((s, e)) if self.group != 0 => (base + s, base + e),
                    _ => span,
                };
                (span, secret)
            }
        };
        self.keep(data, span, secret, allow, out);
        Some(span.1)
    }

    /// Filter one candidate (the whole match and the secret, absolute spans) and keep it.
    fn keep(
        &self,
        data: &[u8],
        whole: (usize, usize),
        secret: (usize, usize),
        allow: &mut AllowCheck,
        out: &mut Vec<Match>,
    ) {
        let bytes = &data[secret.0..secret.1];
        if bytes.is_empty() {
            return;
        }
        if let Some(floor) = self.rule.entropy {
            if shannon_entropy(bytes) < entropy_floor_for(floor, bytes) {
                return;
            }
        }
        let whole_bytes = &data[whole.0..whole.1];
        if KNOWN_EXAMPLES
            .iter()
            .any(|k| memmem::find(whole_bytes, k).is_some())
        {
            return;
        }
        // Human-chosen values (generic assignments, passwords in URLs) get the full
        // stand-in word check; random token bodies only the format check.
        if self.placeholders
            && if self.generic || human_chosen(&self.rule.credential) {
                looks_like_placeholder(bytes)
            } else {
                looks_like_format_placeholder(bytes)
            }
        {
            return;
        }
        if self.generic && looks_like_code_or_words(bytes) {
            return;
        }
        if self.generic && has_marker_word(bytes) {
            return;
        }
        // A quoted value followed by `:` is the next key of a JSON or YAML map
        // (`"clientSecret":"client-secret","registrationExpiresAt":"1973-…"`), not a value.
        if self.generic && quoted_key_follows(data, secret.1) {
            return;
        }
        // A key, token or secret is generated, never a name: a class, constant or header
        // name (`FileWebIdentityTokenLoader`, `Access-Control-Allow-Credentials`) or a
        // file path assigned to a `*_token`/`credentials` name is not one. (Passwords are
        // chosen by people and may well be words: not for them.)
        if self.generic
            && self.rule.credential == "generic_secret"
            && (looks_like_identifier(bytes)
                || looks_like_path(bytes)
                || value_restates_name(assigned_name_in(data, whole.0, secret.0), bytes))
        {
            return;
        }
        if self.generic && looks_like_resource_path(bytes) {
            return;
        }
        if self.generic && names_documentation_host(&data[secret.1..whole.1]) {
            return;
        }
        if self.generic
            && matches!(self.rule.credential.as_str(), "generic_secret" | "password")
            && key_names_a_non_secret(assigned_name_in(data, whole.0, secret.0))
        {
            return;
        }
        if allow.is_allowed(whole.0, whole.1) {
            return;
        }
        out.push(Match {
            rule: self.rule.clone(),
            start: secret.0,
            end: secret.1,
            line: 0,
            secret: SecretBytes::new(bytes),
        });
    }
}

/// Answers "does a line spanned by this range carry `nhiscan:allow`?" cheaply: the buffer
/// is searched for the marker once, and only when it occurs are lines looked at.
struct AllowCheck<'a> {
    data: &'a [u8],
    present: Option<bool>,
}

impl<'a> AllowCheck<'a> {
    fn new(data: &'a [u8]) -> Self {
        AllowCheck {
            data,
            present: None,
        }
    }
    fn is_allowed(&mut self, start: usize, end: usize) -> bool {
        let data = self.data;
        let present = *self
            .present
            .get_or_insert_with(|| memmem::find(data, ALLOW_MARKER).is_some());
        if !present {
            return false;
        }
        let ls = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i);
        memmem::find(&data[ls..le], ALLOW_MARKER).is_some()
    }
}

/// Fill in 1-based line numbers for matches sorted by `start`, counting newlines only
/// between consecutive matches.
fn number_lines(data: &[u8], matches: &mut [Match]) {
    let mut pos = 0usize;
    let mut line = 1u64;
    for m in matches.iter_mut() {
        if m.start >= pos {
            line += memchr::memchr_iter(b'\n', &data[pos..m.start]).count() as u64;
            pos = m.start;
        } else {
            // Not sorted (cannot happen after `scan_all`'s sort): recount from the top.
            line = 1 + memchr::memchr_iter(b'\n', &data[..m.start]).count() as u64;
            pos = m.start;
        }
        m.line = line;
    }
}

/// Keep one match per overlapping span. Input and output are sorted by position.
fn dedupe(matches: &mut Vec<Match>) {
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_by_key(|&i| {
        let m = &matches[i];
        (
            m.rule.is_generic(),
            std::cmp::Reverse(m.end - m.start),
            m.start,
        )
    });
    // Accepted spans, disjoint: start -> end.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut keep = vec![false; matches.len()];
    for i in order {
        let (s, e) = (matches[i].start, matches[i].end);
        // Among disjoint spans, the one starting last before `e` also ends last; if it
        // does not reach `s`, nothing does.
        let overlaps = taken.range(..e).next_back().is_some_and(|(_, &te)| te > s);
        if !overlaps {
            taken.insert(s, e);
            keep[i] = true;
        }
    }
    let mut k = keep.into_iter();
    matches.retain(|_| k.next().unwrap_or(false));
}

/// Prefixes (ASCII-lowercased) of what a pattern matches, at most this many...
const PREFIX_LIMIT: usize = 256;
/// ...of at most this many bytes.
const PREFIX_MAX_LEN: usize = 64;

/// Literal prefixes of every match of `hir`, ASCII-lowercased: each match, lowercased,
/// starts with one of the returned strings, and *equals* it when the flag is set (the
/// string is the whole match, so what follows in a concatenation may be appended).
fn match_prefixes(hir: &regex_syntax::hir::Hir) -> Vec<(Vec<u8>, bool)> {
    use regex_syntax::hir::{Class, HirKind};
    let empty = || vec![(Vec::new(), true)];
    let unknown = || vec![(Vec::new(), false)];
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => empty(),
        HirKind::Literal(lit) => vec![(lit.0.to_ascii_lowercase(), true)],
        HirKind::Class(class) => {
            let mut bytes: Vec<u8> = Vec::new();
            let few = match class {
                Class::Bytes(c) => c.ranges().iter().all(|r| {
                    if usize::from(r.end() - r.start()) >= 8 {
                        return false;
                    }
                    bytes.extend((r.start()..=r.end()).map(|b| b.to_ascii_lowercase()));
                    true
                }),
                Class::Unicode(c) => c.ranges().iter().all(|r| {
                    let (s, e) = (u32::from(r.start()), u32::from(r.end()));
                    if e > 0x7f || e - s >= 8 {
                        return false;
                    }
                    bytes.extend((s..=e).filter_map(|b| u8::try_from(b).ok()));
                    bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
                    true
                }),
            };
            bytes.sort_unstable();
            bytes.dedup();
            if few && !bytes.is_empty() && bytes.len() <= 4 {
                bytes.into_iter().map(|b| (vec![b], true)).collect()
            } else {
                unknown()
            }
        }
        HirKind::Capture(cap) => match_prefixes(&cap.sub),
        HirKind::Alternation(hs) => {
            let mut all = Vec::new();
            for h in hs {
                all.extend(match_prefixes(h));
                if all.len() > PREFIX_LIMIT {
                    return unknown();
                }
            }
            all
        }
        HirKind::Repetition(rep) => {
            if rep.max == Some(0) {
                return empty();
            }
            let mut sub = match_prefixes(&rep.sub);
            // After one repetition more may follow, unless at most one is allowed.
            if rep.max != Some(1) {
                sub.iter_mut().for_each(|p| p.1 = false);
            }
            if rep.min == 0 {
                sub.push((Vec::new(), true));
            }
            sub
        }
        HirKind::Concat(hs) => {
            let mut acc: Vec<(Vec<u8>, bool)> = empty();
            for h in hs {
                if acc.iter().all(|p| !p.1) {
                    break;
                }
                let next = match_prefixes(h);
                let mut grown = Vec::with_capacity(acc.len() * next.len());
                for (p, exact) in &acc {
                    if !*exact {
                        grown.push((p.clone(), false));
                        continue;
                    }
                    for (q, q_exact) in &next {
                        let mut pq = p.clone();
                        pq.extend_from_slice(q);
                        grown.push((pq, *q_exact));
                    }
                }
                grown.sort_unstable();
                grown.dedup();
                if grown.len() > PREFIX_LIMIT || grown.iter().any(|p| p.0.len() > PREFIX_MAX_LEN) {
                    // Stop here: what is known so far is still a prefix of every match.
                    acc.iter_mut().for_each(|p| p.1 = false);
                    break;
                }
                acc = grown;
            }
            acc
        }
    }
}

/// When every match of the rule starts with a known literal that contains one of the
/// rule's `keywords` (lowercase), the (keyword, offset of the keyword in the match) pairs
/// that locate every possible match start from the keyword hits; `None` otherwise.
fn keyword_offsets(
    hir: &regex_syntax::hir::Hir,
    keywords: &[String],
) -> Option<Vec<(String, usize)>> {
    if keywords.is_empty() {
        return None;
    }
    let mut out: Vec<(String, usize)> = Vec::new();
    for (prefix, _) in match_prefixes(hir) {
        // The keyword occurring earliest in the prefix (any one would do).
        let (d, kw) = keywords
            .iter()
            .filter(|k| !k.is_empty())
            .filter_map(|k| memmem::find(&prefix, k.as_bytes()).map(|d| (d, k)))
            .min()?;
        if !out.iter().any(|(k, o)| k == kw && *o == d) {
            out.push((kw.clone(), d));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `^(?s:.)(?:pattern)`: the rule anchored one byte after the start of the haystack, so
/// that look-arounds at the anchored position see the preceding byte. `None` when the
/// wrapped pattern would not mean the same (say, a trailing `(?x)` comment).
fn anchored_form(pattern: &str, hir: &regex_syntax::hir::Hir, captures: usize) -> Option<Anchored> {
    use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look};
    let wrapped = format!("^(?s:.)(?:{pattern})");
    let expect = Hir::concat(vec![
        Hir::look(Look::Start),
        Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
            0, 0xff,
        )]))),
        hir.clone(),
    ]);
    (crate::rules::parse_pattern(&wrapped).ok()? == expect).then(|| Anchored {
        pattern: wrapped,
        captures,
        regex: std::sync::OnceLock::new(),
    })
}

/// Whether the parsed pattern can match a `\n` byte anywhere.
fn can_match_newline(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\n' && '\n' <= r.end()),
        HirKind::Repetition(rep) => rep.max != Some(0) && can_match_newline(&rep.sub),
        HirKind::Capture(cap) => can_match_newline(&cap.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().any(can_match_newline),
    }
}

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The entropy floor a secret is held to. Floors are set for values drawn from a large
/// alphabet (base62/base64: up to 6 bits per character); a long value made only of hex
/// digits carries at most 4, and a random 32- or 40-digit one (an API key assigned to
/// `API_KEY=`) measures only 3.6-3.9, under the generic rules' 3.8. Such a value is held
/// to at most 3.3, which a run of a few repeated digits still fails.
fn entropy_floor_for(floor: f64, secret: &[u8]) -> f64 {
    if secret.len() >= 32 && secret.iter().all(u8::is_ascii_hexdigit) {
        floor.min(HEX_ENTROPY_FLOOR)
    } else {
        floor
    }
}

const HEX_ENTROPY_FLOOR: f64 = 3.3;

/// Substrings that mark a value as a template, a variable reference or a stand-in.
const PLACEHOLDER_MARKERS: &[&[u8]] = &[
    b"${",
    b"{{",
    b"}}",
    b"$(",
    b"%(",
    b"#{",
    b"<%",
    b"os.environ",
    b"process.env",
    b"getenv",
    b"env[",
    b"env(",
    b"env.",
    b"environ",
    b"secretkeyref",
    b"valuefrom",
];

/// Words (ASCII case-insensitive) that mark a value as a stand-in, not a credential.
/// `fake` is deliberately absent: rule examples use it to look fake while still matching.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"changeme",
    b"change_me",
    b"change-me",
    b"xxxx",
    b"****",
    b"....",
    b"your",
    b"example",
    b"dummy",
    b"test",
    b"sample",
    b"placeholder",
    b"redacted",
    b"fixme",
    b"todo",
    b"replace",
    b"insert",
    b"lorem",
    b"foobar",
    b"notreal",
    b"not_real",
    b"not-real",
    b"secret_here",
    b"password",
    b"passwd",
    b"p@ssw0rd",
    b"passw0rd",
    b"p4ssw0rd",
    b"p4ssword",
    b"12345",
    b"abcdef",
    b"qwerty",
    b"0000",
    b"1111",
    b"aaaa",
    b"letmein",
    b"undefined",
    b"none",
    b"null",
];

/// Values that are placeholders when they are the whole secret (ASCII case-insensitive).
const PLACEHOLDER_VALUES: &[&[u8]] = &[
    b"pass",
    b"secret",
    b"admin",
    b"root",
    b"user",
    b"username",
    b"postgres",
    b"mysql",
    b"redis",
    b"guest",
    b"pwd",
    b"token",
    b"apikey",
    b"api_key",
    b"key",
    b"value",
    b"string",
    b"default",
    b"true",
    b"false",
    b"empty",
    b"required",
    b"optional",
    b"unknown",
    b"n/a",
    b"hunter2",
];

/// Whether a secret value looks like a placeholder rather than a credential: a template
/// or environment reference (`${VAR}`, `{{ var }}`, `os.environ[...]`, `process.env.X`),
/// an angle- or square-bracketed name (`<password>`), a stand-in word (`changeme`,
/// `your-api-key`, `example`, `dummy`, `test`, `xxxx`), or one repeated character.
pub fn looks_like_placeholder(secret: &[u8]) -> bool {
    if stand_in_text(secret) {
        return true;
    }
    // A base64-encoded stand-in (`.npmrc` `_password` values are base64): the decoded
    // text gets the same check (`bm90IG15IHJlYWwgcGFzc3dvcmQ=`, "not my real password").
    // Basic credentials decode to `user:password`: the password part is checked too.
    decode_base64_text(secret).is_some_and(|text| {
        stand_in_text(&text)
            || text
                .iter()
                .position(|&b| b == b':')
                .is_some_and(|i| i + 1 < text.len() && stand_in_text(&text[i + 1..]))
    })
}

/// The checks of [`looks_like_placeholder`] on the value itself.
fn stand_in_text(secret: &[u8]) -> bool {
    if is_bracketed_name(secret) || is_truncated(secret) {
        return true;
    }
    if secret.iter().all(|&b| b == secret[0])
        || PLACEHOLDER_VALUES
            .iter()
            .any(|v| secret.eq_ignore_ascii_case(v))
    {
        return true;
    }
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| contains_ignore_ascii_case(secret, m))
    {
        return true;
    }
    // Long values (keys, certificates) are random enough to contain any short word, but
    // not `example` (documentation tokens such as AWS's `AQoEXAMPLEH4aoAH0gNCAPy…`).
    contains_ignore_ascii_case(secret, b"example")
        || secret.len() <= 128
            && PLACEHOLDER_WORDS
                .iter()
                .any(|w| contains_ignore_ascii_case(secret, w))
}

/// A value cut short for display: `eyJ2IjoiMSIsInMiOjEsImMiOi...`, `sk_live_…`.
fn is_truncated(secret: &[u8]) -> bool {
    secret.ends_with(b"...") || secret.ends_with("\u{2026}".as_bytes())
}

/// `data` decoded as standard or URL-safe base64 when it is that (at least 12 characters,
/// padded to a multiple of 4) and decodes to printable ASCII text; `None` otherwise.
fn decode_base64_text(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < 12 || data.len() % 4 != 0 {
        return None;
    }
    crate::codec::base64_decode(data, true).filter(|t| t.iter().all(|b| (0x20..0x7f).contains(b)))
}

/// Credentials people choose rather than generate (passwords, and registry `auth`
/// values, which are base64 of `user:password`): these get the full stand-in word check
/// (`changeme`, `password`, a base64-encoded `user:password`), not only the format one.
fn human_chosen(credential: &str) -> bool {
    credential.contains("password") || credential == "docker_registry_auth"
}

/// What marks a buffer as a Kubernetes `Secret` manifest (YAML or JSON).
const K8S_SECRET_KINDS: &[&[u8]] = &[
    b"kind: Secret",
    b"kind: \"Secret\"",
    b"\"kind\": \"Secret\"",
    b"\"kind\":\"Secret\"",
];

/// A `name: value` entry of a manifest's `data:` map (`  password: c2VjcmV0`, or JSON's
/// `"password": "c2VjcmV0",`): the name and the value's span within `line`, when the
/// value looks like base64 (at least 8 characters, a multiple of 4).
fn k8s_data_entry(line: &[u8]) -> Option<(&[u8], (usize, usize))> {
    let indent = line.iter().position(|b| !b.is_ascii_whitespace())?;
    let colon = indent + line[indent..].iter().position(|&b| b == b':')?;
    let name = line[indent..colon].trim_ascii();
    let name = name
        .strip_prefix(b"\"")
        .and_then(|n| n.strip_suffix(b"\""))
        .unwrap_or(name);
    if name.is_empty()
        || !name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return None;
    }
    let rest = &line[colon + 1..];
    let vs = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut value = rest[vs..].trim_ascii_end();
    value = value.strip_suffix(b",").unwrap_or(value);
    let (mut s, mut e) = (colon + 1 + vs, colon + 1 + vs + value.len());
    if let Some(q) = value.first().filter(|q| matches!(q, b'"' | b'\'')) {
        if value.len() < 2 || value.last() != Some(q) {
            return None;
        }
        s += 1;
        e -= 1;
    }
    let v = &line[s..e];
    let body = v
        .strip_suffix(b"==")
        .or_else(|| v.strip_suffix(b"="))
        .unwrap_or(v);
    let ok = v.len() >= 8
        && v.len() % 4 == 0
        && body
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    ok.then_some((name, (s, e)))
}

/// Standard base64 decoded, when the result is text (printable ASCII, tabs and line
/// breaks: a token, a URL, a PEM block); `None` for binary data or bad input.
fn decode_base64_to_text(data: &[u8]) -> Option<Vec<u8>> {
    crate::codec::base64_decode(data, false).filter(|t| {
        t.iter()
            .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t'))
    })
}

/// `<password>`, `[token]`, `%SECRET%` or `$VAR`: a name standing in for a value.
fn is_bracketed_name(secret: &[u8]) -> bool {
    match (secret.first(), secret.last()) {
        (Some(b'$'), _) => true,
        (Some(&f), Some(&l)) if secret.len() >= 2 => {
            (f == b'<' && l == b'>') || (f == b'[' && l == b']') || (f == b'%' && l == b'%')
        }
        _ => false,
    }
}

/// Stand-in words for vendor-format tokens. Matched only as a whole alphanumeric token or
/// its start, never inside one: a random 36-character token body contains `1111`, `aaaa`
/// or `test` often enough that substring matching dropped real tokens (benchmark
/// regression: 4 of 4,048 planted Slack tokens were lost that way).
const FORMAT_PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"your",
    b"changeme",
    b"dummy",
    b"sample",
    b"placeholder",
    b"redacted",
    b"test",
    b"fixme",
    b"todo",
    b"replace",
    b"insert",
    b"lorem",
    b"foobar",
    b"notreal",
];

/// Whether a value matched by a vendor-format rule (a fixed prefix and a random body) is a
/// stand-in: a template or environment reference, a bracketed name, a long run of one
/// character (`ghp_xxxxxxxx…`), `example` anywhere, or a token that is or starts with a
/// stand-in word (`sk_live_your_key_here`, `xoxb-test-…`). Random bodies are not
/// searched for short words; see [`FORMAT_PLACEHOLDER_WORDS`].
pub fn looks_like_format_placeholder(secret: &[u8]) -> bool {
    if is_bracketed_name(secret) {
        return true;
    }
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| contains_ignore_ascii_case(secret, m))
        || contains_ignore_ascii_case(secret, b"example")
    {
        return true;
    }
    // Long runs of one character (`xxxxxxxx`) or of consecutive ones (`ABCDEFGH`,
    // `12345678`): typed by hand, vanishingly rare in a generated token body.
    let (mut same, mut step) = (1, 1);
    for w in secret.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        same = if a == b { same + 1 } else { 1 };
        step = if a.is_ascii_alphanumeric() && b == a.wrapping_add(1) {
            step + 1
        } else {
            1
        };
        if same >= 8 || step >= 8 {
            return true;
        }
    }
    secret
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .any(|t| {
            FORMAT_PLACEHOLDER_WORDS
                .iter()
                .any(|w| t.len() >= w.len() && t[..w.len()].eq_ignore_ascii_case(w))
        })
}

/// For catch-all rules: whether a value is more likely code or prose than a credential.
/// Generated secrets mix character classes; a value made of one class only (all
/// lowercase words with separators, say `my-app-secret-name`) or shaped like a dotted
/// code reference (`config.db.password`, `self.apiKey`) is dropped.
pub fn looks_like_code_or_words(secret: &[u8]) -> bool {
    let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
    for &b in secret {
        match b {
            b'a'..=b'z' => lower = true,
            b'A'..=b'Z' => upper = true,
            b'0'..=b'9' => digit = true,
            b'-' | b'_' | b'.' => {}
            _ => other = true,
        }
    }
    if [lower, upper, digit, other].iter().filter(|x| **x).count() < 2 {
        return true;
    }
    secret.contains(&b'.') && secret.split(|b| *b == b'.').all(is_word_like_ident)
}

/// The name a value is assigned to: the identifier just before the separator and quote
/// that precede `secret_start` (`api_key_sha256` in `api_key_sha256 = "…"`), looking back
/// past the start of the match (`publicKeyToken`, matched from `Token`).
fn assigned_name(data: &[u8], secret_start: usize) -> &[u8] {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut end = secret_start;
    while end > 0 && !is_ident(data[end - 1]) && secret_start - end < 8 {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_ident(data[start - 1]) && end - start < 96 {
        start -= 1;
    }
    &data[start..end]
}

/// Like [`assigned_name`], but for a name/value pair (a Kubernetes env entry
/// `- name: API_TOKEN` / `value: "…"`, an ECS `{"name": …, "value": …}`) whose match starts
/// at `name`: the name the pair gives rather than `value`.
fn assigned_name_in(data: &[u8], match_start: usize, secret_start: usize) -> &[u8] {
    let name = assigned_name(data, secret_start);
    if !name.eq_ignore_ascii_case(b"value") {
        return name;
    }
    let head = &data[match_start..secret_start];
    if !head
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"name"))
    {
        return name;
    }
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let rest = &head[4..];
    let Some(s) = rest.iter().position(|&b| is_ident(b)) else {
        return name;
    };
    let e = rest[s..]
        .iter()
        .position(|&b| !is_ident(b))
        .map_or(rest.len(), |e| s + e);
    &rest[s..e]
}

/// Name endings that say the value describes a secret rather than being one: its hash or
/// checksum, where it is stored, what kind it is, how long it lives.
const NON_SECRET_NAME_SUFFIXES: &[&str] = &[
    "prefix",
    "suffix",
    "hash",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "digest",
    "checksum",
    "fingerprint",
    "path",
    "file",
    "filename",
    "dir",
    "url",
    "uri",
    "type",
    "ttl",
    "length",
    "version",
    "expiry",
    "expiresat",
    "name",
    // `private_key_id` (a GCP service-account file), `access_key_id`, `signing_keyId`:
    // which key, not the key. Not a bare `id`: Vault's `secret_id` is a credential.
    "keyid",
];

/// Tokens that are not credentials, by name (the whole name or its ending): API paging
/// cursors (`NextToken`, `ContinuationToken`, `input_token` in paginator definitions),
/// idempotency and concurrency tokens (`ClientRequestToken`, `ChangeToken`,
/// `update_token`). Anyone may hold them; they unlock nothing.
const NON_SECRET_TOKEN_NAMES: &[&str] = &[
    "nexttoken",
    "nextpagetoken",
    "pagetoken",
    "paginationtoken",
    "continuationtoken",
    "nextcontinuationtoken",
    "inputtoken",
    "outputtoken",
    "clientrequesttoken",
    "idempotencytoken",
    "changetoken",
    "updatetoken",
];

/// Whether an assigned name (`token_hash`, `client_secret_path`, `publicKeyToken`,
/// `NextToken`) says the value is not a credential. Case, `_`, `-` and `.` are ignored.
fn key_names_a_non_secret(name: &[u8]) -> bool {
    let norm: String = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    norm.contains("publickey")
        || NON_SECRET_NAME_SUFFIXES
            .iter()
            .any(|suf| norm.len() > suf.len() && norm.ends_with(suf))
        || NON_SECRET_TOKEN_NAMES.iter().any(|n| norm.ends_with(n))
}

/// Whether a value is an identifier rather than a generated secret: every run of letters
/// and digits between separators (`.`, `-`, `_`, `:`, `!`) is a word a person would
/// write (see [`is_word_like_ident`]): `ExclusiveStartTableName`, `waitForTaskToken`,
/// `_EllipticCurvePrivateKey`, `Access-Control-Allow-Credentials`. Generated values
/// have digits inside their runs or capitals that do not start a lowercase hump.
pub fn looks_like_identifier(secret: &[u8]) -> bool {
    if !secret
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'!' | b'/'))
    {
        return false;
    }
    let mut words = secret
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    words.peek().is_some() && words.all(|w| is_word_like_ident(w) || is_versioned_camel(w))
}

/// A generated-code class name with a version number: `V1LocalObjectReference`,
/// `V2beta1HorizontalPodAutoscaler`. Split into humps (a capital and 2+ lowercase letters,
/// an acronym, a lowercase run, a digit run, a capital before digits), it must hold a
/// digit and two pronounceable words of 4+ letters (a vowel, at most 3 consonants in a
/// row) covering three quarters of it. A random token body almost never splits that way
/// (about 1 in 24,000 random 16-40 character base62 strings).
fn is_versioned_camel(seg: &[u8]) -> bool {
    fn pronounceable(word: &[u8]) -> bool {
        let vowel = |b: &u8| {
            matches!(
                b.to_ascii_lowercase(),
                b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
            )
        };
        let mut consonants = 0;
        word.iter().any(vowel)
            && word.iter().all(|b| {
                consonants = if vowel(b) { 0 } else { consonants + 1 };
                consonants <= 3
            })
    }
    if !seg.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let (mut i, mut words, mut word_len) = (0usize, 0usize, 0usize);
    let n = seg.len();
    let run = |from: usize, f: fn(&u8) -> bool| seg[from..].iter().take_while(|b| f(b)).count();
    while i < n {
        let b = seg[i];
        let step = if b.is_ascii_digit() {
            run(i, u8::is_ascii_digit)
        } else if b.is_ascii_lowercase() {
            let l = run(i, u8::is_ascii_lowercase);
            if l < 2 {
                return false;
            }
            if l >= 4 {
                if !pronounceable(&seg[i..i + l]) {
                    return false;
                }
                words += 1;
                word_len += l;
            }
            l
        } else if b.is_ascii_uppercase() {
            let lower = run(i + 1, u8::is_ascii_lowercase);
            let upper = run(i, u8::is_ascii_uppercase);
            if lower >= 2 {
                if lower >= 3 {
                    if !pronounceable(&seg[i..i + 1 + lower]) {
                        return false;
                    }
                    words += 1;
                    word_len += 1 + lower;
                }
                1 + lower
            } else if upper >= 2 {
                // An acronym; its last capital starts the next word when lowercase follows.
                if seg.get(i + upper).is_some_and(u8::is_ascii_lowercase) {
                    upper - 1
                } else {
                    upper
                }
            } else if seg.get(i + 1).is_some_and(u8::is_ascii_digit) {
                1
            } else {
                return false;
            }
        } else {
            return false;
        };
        i += step;
    }
    words >= 2 && word_len * 4 >= n * 3
}

/// Whether the value is a code reference that ends in the name it is assigned to, or in
/// a name holding it: an alias or re-export (`MLKEM768X25519PrivateKey =
/// rust_openssl.hpke.MLKEM768X25519PrivateKey`, `OID_PRIVATE_KEY_USAGE_PERIOD =
/// ExtensionOID.PRIVATE_KEY_USAGE_PERIOD`) or a type annotation (`private_key:
/// x25519.X25519PrivateKey`). Case, `_` and `-` are ignored; the shared part must be at
/// least 8 characters.
fn value_restates_name(name: &[u8], value: &[u8]) -> bool {
    let is_ref = value
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'));
    if !is_ref {
        return false;
    }
    let norm = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase)
            .collect()
    };
    let value = value.strip_suffix(b".").unwrap_or(value);
    let last = value.rsplit(|&b| b == b'.').next().unwrap_or(value);
    // The name's own last segment (`self.private_key` -> `private_key`).
    let name = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    let (name, last) = (norm(name), norm(last));
    let (short, long) = if name.len() <= last.len() {
        (&name, &last)
    } else {
        (&last, &name)
    };
    short.len() >= 8 && memmem::find(long, short).is_some()
}

/// A file path, not a secret: `~/.aws/credentials`, `./secrets/token`, `../keys/id`, or
/// any [`looks_like_resource_path`].
pub fn looks_like_path(secret: &[u8]) -> bool {
    [&b"~/"[..], b"./", b"../"]
        .iter()
        .any(|p| secret.starts_with(p))
        || looks_like_resource_path(secret)
}

/// A path or resource name made of words: `/home/user/me/my_key.pfx`,
/// `projects/123/secrets/my-secret/versions/1`, `roles/iam.serviceAccountTokenCreator`.
/// At least two `/`-separated parts, each made of words a person would write (see
/// [`is_word_like_ident`]) or numbers; random base64 with a `/` is not.
pub fn looks_like_resource_path(secret: &[u8]) -> bool {
    let parts: Vec<&[u8]> = secret
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                && p.split(|b| matches!(b, b'.' | b'-' | b'_'))
                    .filter(|w| !w.is_empty())
                    .all(|w| w.iter().all(u8::is_ascii_digit) || is_word_like_ident(w))
        })
        && secret
            .split(|b| !b.is_ascii_alphabetic())
            .any(|w| w.len() >= 3)
}

/// Whether `after` (what a match holds after its secret, as `@host` in a URL) names a
/// host reserved for documentation (RFC 2606) the way documentation writes it: the bare
/// `example.com`, `example.org` or `example.net`, or any name under `.invalid`.
fn names_documentation_host(after: &[u8]) -> bool {
    let Some(at) = after.iter().position(|&b| b == b'@') else {
        return false;
    };
    let host: Vec<u8> = after[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        .map(u8::to_ascii_lowercase)
        .collect();
    let host = host.strip_suffix(b".").unwrap_or(&host);
    let is_or_under = |domain: &[u8]| {
        host == domain
            || host.len() > domain.len()
                && host.ends_with(domain)
                && host[host.len() - domain.len() - 1] == b'.'
    };
    // The bare documentation domains are what docs write (`user:pw@example.com`); a
    // named host under one (`db.acme.example`, `pypi.example.org`) is how test estates
    // and fixtures name real-looking systems, and is reported. `.invalid` never resolves.
    host == b"example.com"
        || host == b"example.org"
        || host == b"example.net"
        || host == b"example"
        || is_or_under(b"invalid")
}

/// An identifier a person would write: `config`, `apiKey`, `db_password`, `MAX_RETRIES`,
/// `$scope`. Random mixed case (`VUqAkQnPjWpP0T`, two capitals in a row inside lowercase
/// text, digits in the middle) is not, so `s.VUqAkQnPjWpP0T` stays a candidate secret
/// rather than a dotted code reference (benchmark regression: one planted password lost).
fn is_word_like_ident(seg: &[u8]) -> bool {
    let Some(&first) = seg.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return false;
    }
    if !seg
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
    {
        return false;
    }
    // SCREAMING_SNAKE or plain lowercase words.
    if !seg.iter().any(u8::is_ascii_lowercase) || !seg.iter().any(u8::is_ascii_uppercase) {
        return digits_only_at_end(seg);
    }
    // camelCase / PascalCase: every capital starts a hump of at least two lowercase
    // letters, or is one of the two-letter words names are made of (`registrationExpiresAt`,
    // `ownerId`, `sortBy`, `accessTokenExpiresAtUtc`) ending the name or followed by the
    // next hump.
    let n = seg.len();
    let humps_ok = (0..n).all(|i| {
        if !seg[i].is_ascii_uppercase() {
            return true;
        }
        let lower = |j: usize| seg.get(j).is_some_and(u8::is_ascii_lowercase);
        if lower(i + 1) && lower(i + 2) {
            return true;
        }
        lower(i + 1)
            && !lower(i + 2)
            && i + 2 <= n
            && TWO_LETTER_HUMPS
                .iter()
                .any(|w| w.eq_ignore_ascii_case(&seg[i..i + 2]))
    });
    humps_ok && digits_only_at_end(seg)
}

/// Whether the quoted value ending at `end` is followed by its closing quote and a `:`
/// (not `://`): a map key.
fn quoted_key_follows(data: &[u8], end: usize) -> bool {
    let Some(&q) = data.get(end) else {
        return false;
    };
    if q != b'"' && q != b'\'' {
        return false;
    }
    let rest = &data[end + 1..data.len().min(end + 40)];
    let mut i = 0;
    while i < rest.len() && matches!(rest[i], b' ' | b'\t') {
        i += 1;
    }
    rest.get(i) == Some(&b':') && rest.get(i + 1) != Some(&b'/')
}

/// Two-letter words that end or join the humps of a camelCase name.
const TWO_LETTER_HUMPS: &[&[u8]] = &[
    b"at", b"id", b"by", b"of", b"to", b"on", b"in", b"up", b"is", b"or", b"as", b"if", b"no",
    b"ok", b"db", b"io", b"ui", b"os", b"ms", b"my", b"do", b"go", b"be", b"an", b"it",
];

/// A generic value spelled with a capitalised marker word (`IQoJb3JpZ2luSECRETTOKENMARKERzzz`,
/// `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`): a stand-in a test or document wrote, not a
/// generated secret (a random 16+ character token holds one of these by chance about once
/// in a million).
pub fn has_marker_word(secret: &[u8]) -> bool {
    const MARKERS: &[&[u8]] = &[
        b"MARKER",
        b"REDACTED",
        b"EXAMPLE",
        b"DUMMY",
        b"PLACEHOLDER",
        b"CHANGEME",
        b"NOTREAL",
    ];
    MARKERS.iter().any(|m| memmem::find(secret, m).is_some())
}

fn digits_only_at_end(seg: &[u8]) -> bool {
    let body = seg
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    !seg[..body].iter().any(u8::is_ascii_digit)
}

fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `data` looks binary: a NUL byte in the first 8 KiB (what git and ripgrep use).
/// File and git scanners skip such blobs.
pub fn is_probably_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8 * 1024)]).is_some()
}

/// Whether `data` looks minified or machine-generated: more than 64 KiB with an average
/// line longer than 1000 bytes. Scanners may skip such files (bundles, source maps) or
/// scan them with a note; the matcher itself handles them fine.
pub fn is_minified(data: &[u8]) -> bool {
    const MIN_SIZE: usize = 64 * 1024;
    if data.len() <= MIN_SIZE {
        return false;
    }
    // Minified iff lines < len / 1000; stop counting as soon as that is disproved.
    let limit = data.len() / 1000;
    let lines = 1 + memchr::memchr_iter(b'\n', data).take(limit).count();
    lines < limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn matcher() -> &'static Matcher {
        static M: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
        M.get_or_init(|| Matcher::new(RuleSet::builtin().unwrap()).unwrap())
    }

    fn user_matcher(text: &str) -> Matcher {
        let mut set = RuleSet::default();
        set.add_file_text(Path::new("user.toml"), text).unwrap();
        Matcher::new(set).unwrap()
    }

    fn ids(ms: &[Match]) -> Vec<&str> {
        ms.iter().map(|m| m.rule.id.as_str()).collect()
    }

    /// A GitHub classic token with a valid checksum: `prefix`, the 30-character `body`,
    /// then the body's base62 CRC-32 (see `crate::rules::Validator::GithubCrc32`).
    fn gh_token(prefix: &str, body: &str) -> String {
        assert_eq!(body.len(), 30);
        crate::rules::with_github_checksum(prefix, body)
    }

    // Built at run time so this source file holds no token-shaped literal.
    fn ghp() -> String {
        gh_token("ghp_", &"FAKEa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"[..30])
    }

    #[test]
    fn finds_a_token_with_line_and_span() {
        let tok = ghp();
        let data = format!("a\nb\nlet t = \"{tok}\";\n");
        let ms = matcher().scan(data.as_bytes());
        assert_eq!(ms.len(), 1, "{ms:?}");
        assert_eq!(ms[0].line, 3);
        assert_eq!(&data.as_bytes()[ms[0].start..ms[0].end], tok.as_bytes());
        assert_eq!(ms[0].secret.expose(), tok.as_bytes());
        assert!(ms[0].rule.id.starts_with("nhi.github."));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let tok = ghp();
        let ms = matcher().scan(tok.as_bytes());
        let dbg = format!("{ms:?}");
        assert!(!dbg.contains(&tok), "{dbg}");
        assert!(!dbg.contains(&tok[4..]), "{dbg}");
    }

    #[test]
    fn inline_allow_skips_only_that_line() {
        let tok = ghp();
        let data = format!("x = \"{tok}\" # nhiscan:allow\ny = \"{tok}\"\n");
        let ms = matcher().scan(data.as_bytes());
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].line, 2);
    }

    #[test]
    fn invalid_utf8_is_fine() {
        let tok = ghp();
        let mut data = vec![0xff, 0xfe, b'\n', 0xc3, 0x28, b' '];
        data.extend_from_slice(tok.as_bytes());
        data.extend_from_slice(&[0x80, b'\n']);
        let ms = matcher().scan(&data);
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].line, 2);
    }

    #[test]
    fn line_numbers_for_many_matches() {
        let tok = ghp();
        let mut data = String::new();
        for i in 0..50 {
            data.push_str(&format!("line {i}\n"));
            if i % 7 == 0 {
                data.push_str(&format!("t{i} = {tok}\n"));
            }
        }
        let ms = matcher().scan(data.as_bytes());
        assert_eq!(ms.len(), 8);
        for m in &ms {
            let expect = 1 + data.as_bytes()[..m.start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            assert_eq!(m.line, expect);
        }
    }

    #[test]
    fn prefilter_never_loses_a_match() {
        // For every rule and every example, line-window scanning with the prefilter finds
        // exactly what the bare regex finds over the whole buffer, including when the
        // example is buried in unrelated lines and its case-folded keyword appears elsewhere.
        let m = matcher();
        for (ri, c) in m.compiled.iter().enumerate() {
            for ex in &c.rule.examples {
                let data = format!(
                    "filler line one\nKEY: {}\n{ex}\nmore filler {ex} after\nend",
                    c.rule.keywords[0]
                );
                let expect: Vec<(usize, usize)> = c
                    .regex
                    .captures_iter(data.as_bytes())
                    .map(|cap| {
                        let g = cap.get(c.group).or_else(|| cap.get(0)).unwrap();
                        (g.start(), g.end())
                    })
                    .collect();
                let mut got = Vec::new();
                let mut allow = AllowCheck::new(data.as_bytes());
                let all = m.scan_all(data.as_bytes());
                for mm in all.iter().filter(|mm| mm.rule.id == c.rule.id) {
                    got.push((mm.start, mm.end));
                }
                // Filters may only remove; compare against filtered bare-regex results.
                let mut bare = Vec::new();
                m.run_rule(ri, data.as_bytes(), 0, data.len(), &mut allow, &mut bare);
                let bare: Vec<(usize, usize)> = bare.iter().map(|b| (b.start, b.end)).collect();
                assert_eq!(got, bare, "rule {}", c.rule.id);
                assert!(
                    bare.iter().all(|b| expect.contains(b)),
                    "rule {}",
                    c.rule.id
                );
            }
        }
    }

    #[test]
    fn keyword_case_folding_and_lines() {
        let m = user_matcher(
            "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = '(?i)\\bacme_tok_[a-z0-9]{8}\\b'\n\
             keywords = [\"acme_tok_\"]\ncredential = \"t\"\nunlocks = \"acme\"\nexamples = [\"acme_tok_k3j4h5g6\"]\n",
        );
        let data = b"ACME_TOK_k3j4h5g6 and\nacme_tok_zz9yy8xx\nxacme_tok_k3j4h5g6\n";
        let ms = m.scan(data);
        assert_eq!(ms.iter().map(|m| m.line).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn multiline_rule_runs_on_whole_buffer() {
        let m = user_matcher(
            "[[rule]]\nid = \"acme.x.block.1\"\nname = \"t\"\npattern = 'BEGIN ACME\\n(?P<secret>[A-Za-z0-9\\n]{10,200}?)\\nEND ACME'\n\
             keywords = [\"begin acme\"]\ncredential = \"t\"\nunlocks = \"acme\"\nexamples = [\"BEGIN ACME\\nQm9vb3Zk\\nZ2hqa2xt\\nEND ACME\"]\n",
        );
        assert!(!m.compiled[0].line_local);
        let ms = m.scan(b"junk\nBEGIN ACME\nQm9vb3Zk\nZ2hqa2xt\nEND ACME\n");
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].line, 3);
        assert_eq!(ms[0].secret.expose(), b"Qm9vb3Zk\nZ2hqa2xt");
    }

    #[test]
    fn entropy_values() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn entropy_floor_drops_low_entropy_secrets() {
        let m = user_matcher(
            "[[rule]]\nid = \"acme.x.tok.1\"\nname = \"t\"\npattern = '\\bacme_(?P<secret>[a-z0-9]{12})\\b'\nentropy = 3.0\n\
             keywords = [\"acme_\"]\ncredential = \"t\"\nunlocks = \"acme\"\nplaceholders = false\nexamples = [\"acme_k3j4h5g6q7w8\"]\n",
        );
        assert_eq!(m.scan(b"acme_k3j4h5g6q7w8").len(), 1);
        assert!(m.scan(b"acme_abababababab").is_empty());
    }

    #[test]
    fn placeholders_are_suppressed() {
        for p in [
            "${DB_PASSWORD}",
            "{{ db_password }}",
            "os.environ",
            "process.env.API_KEY",
            "changeme",
            "xxxxxxxxxxxx",
            "<password>",
            "your-api-key",
            "my_example_key",
            "dummy-secret-value",
            "TestPassword99",
            "$API_KEY",
        ] {
            assert!(looks_like_placeholder(p.as_bytes()), "{p}");
        }
        for p in ["k3J9vQ2mZx8Lw4Rt", "Zq8fK2mPw9Lr4Vt7", "hunter2-Vb7Nq"] {
            assert!(!looks_like_placeholder(p.as_bytes()), "{p}");
        }
        // Regression (benchmark): random token bodies containing `1111` or `aaaa` were
        // dropped as placeholders.
        for real in [
            "xoxb-8086093010401-8451276111166-ToJ2oG5PRkWV9n3H3BfA9nuS", // nhiscan:allow
            "ghp_Qm3aaaaT7wLp0Zr5Yk2Nd8Vx6Bc4Hj1Fg9Ws",                  // nhiscan:allow
        ] {
            assert!(!looks_like_format_placeholder(real.as_bytes()), "{real}");
        }
        for fake in [
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "AKIAABCDEFGHIJKLWXYZ",
            "sk_live_your_key_here",
            "xoxb-test-token",
            "${SLACK_TOKEN}",
        ] {
            assert!(looks_like_format_placeholder(fake.as_bytes()), "{fake}");
        }
        let m = matcher();
        for line in [
            "password = \"${DB_PASSWORD}\"",
            "password: \"{{ vault_db_password }}\"",
            "api_key = os.environ[\"API_KEY\"]",
            "const apiKey = process.env.STRIPE_KEY;",
            "password = \"changeme\"",
            "secret = \"xxxxxxxxxxxxxxxx\"",
            "password=<password>",
            "api_key = \"your-api-key\"",
            "token = \"dummy-token-value-123\"",
            "password = \"test1234test\"",
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ] {
            let ms = m.scan(line.as_bytes());
            assert!(ms.is_empty(), "{line}: {:?}", ids(&ms));
        }
    }

    /// False-positive shapes met scanning real code (crates.io sources, botocore, moto,
    /// cryptography, oauthlib, npm, /usr/share/doc): identifiers, paths, code aliases,
    /// paging tokens, truncated or base64-encoded stand-ins, documentation hosts.
    #[test]
    fn real_code_false_positive_shapes() {
        for id in [
            "ExclusiveStartTableName",
            "waitForTaskToken",
            "_EllipticCurvePrivateKey",
            "Access-Control-Allow-Credentials",
            "NEW!!secret-access-token",
        ] {
            assert!(looks_like_identifier(id.as_bytes()), "{id}");
        }
        for secret in [
            "FkQzWxVbNmLpKjHgTrEdYu",
            "Fk9uu6KLMDvr15ZNFZZ57ywcDRBeSf",
            "3f1e8c2a-9b7d-4e6f-a1c3-5d8b2e4f7a90",
            "s.VUqAkQnPjWpP0T",
            "ILQMESfEW0p6i6gIJcEWvO65TP5hg6B99hGFZ2lxrIs=",
        ] {
            assert!(!looks_like_identifier(secret.as_bytes()), "{secret}");
        }
        for id in ["V1LocalObjectReference", "V2beta1HorizontalPodAutoscaler"] {
            assert!(looks_like_identifier(id.as_bytes()), "{id}");
        }
        for path in [
            "roles/iam.serviceAccountTokenCreator",
            "/home/user/me/my_key.pfx",
            "projects/123/secrets/my-secret/versions/1",
        ] {
            assert!(looks_like_resource_path(path.as_bytes()), "{path}");
        }
        for secret in [
            "Fk7/Qx2LmVb9Kp4+Zr8Tn3Wd6Yh1Cs5j0Ge4Ua=",
            "/K7MDENG/bPxRfiCY",
            "ab/cd",
        ] {
            assert!(!looks_like_resource_path(secret.as_bytes()), "{secret}");
        }
        assert!(looks_like_placeholder(b"dXNlcjpwYXNz"), "user:pass");
        assert!(!looks_like_placeholder(
            b"c3ZjLWZha2U6dUE3RkQ2UllQdjFuVERXakRJ"
        ));
        assert!(looks_like_path(b"~/.aws/credentials"));
        assert!(!looks_like_path(b"/K7MDENGbPxRfiCYzz9"));
        assert!(value_restates_name(
            b"MLKEM768X25519PrivateKey",
            b"rust_openssl.hpke.MLKEM768X25519PrivateKey"
        ));
        assert!(value_restates_name(
            b"private_key",
            b"x25519.X25519PrivateKey"
        ));
        assert!(!value_restates_name(b"api_key", b"Fk9uu6KLMDvr15ZNFZZ57y"));
        assert!(!value_restates_name(
            b"SECRET_KEY",
            b"Fk9uu6KLM+DvrSecretKey1"
        ));
        assert!(names_documentation_host(b"@example.com/x"));
        assert!(names_documentation_host(b"@Example.ORG."));
        assert!(!names_documentation_host(b"@pypi.example.org"));
        assert!(!names_documentation_host(b"@db.acme.example:5432"));
        assert!(names_documentation_host(b"@db.invalid:5432"));
        assert!(!names_documentation_host(b"@example-corp.com"));
        assert!(!names_documentation_host(b"@notexample.com"));
        assert!(!names_documentation_host(b"/path"));
        // "not my real password", base64; a real value's base64 is not a stand-in.
        assert!(looks_like_placeholder(b"bm90IG15IHJlYWwgcGFzc3dvcmQ="));
        assert!(!looks_like_placeholder(b"RmsxSzlwUXo3dlh3MnQ="));
        assert_eq!(
            decode_base64_text(b"aGVsbG8gd29ybGQh").unwrap(),
            b"hello world!"
        );
        assert!(decode_base64_text(b"Fk9uu6KLMDvr15ZN").is_none());
        assert!(looks_like_placeholder(b"eyJ2IjoiMSIsInMiOjEsImMiOi..."));
        let long_doc = format!("AQoEXAMPLEH4{}", "aoAH0gNCAPyJxz4BlCFF".repeat(8));
        assert!(looks_like_placeholder(long_doc.as_bytes()));
        // Edited copies of AWS's documented key are still documentation.
        let m = matcher();
        assert!(m.scan(b"key = \"AKIAIOSFODNN7EXAMPLF\"").is_empty());
        let data = "{\n  \"NextToken\": \"CpHNsscimcV5oH7bSbub03CI2Qms5+ypNpNm+53MNlR0Y\",\n  \"ClientRequestToken\": \"f4c94ed7-238d-4c46-93db-48cd62ec33b7\"\n}";
        assert!(
            m.scan(data.as_bytes()).is_empty(),
            "{:?}",
            m.scan(data.as_bytes())
        );
    }

    /// Recall guard for the identifier and path filters: random token bodies are almost
    /// never taken for identifiers (measured about 1 in 10,000; the bound leaves room).
    #[test]
    fn identifier_filters_keep_random_tokens() {
        const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (n, mut dropped) = (100_000, 0);
        for _ in 0..n {
            let len = 16 + (next() % 25) as usize;
            let v: Vec<u8> = (0..len).map(|_| B62[(next() % 62) as usize]).collect();
            if looks_like_identifier(&v) || looks_like_path(&v) {
                dropped += 1;
            }
        }
        assert!(
            dropped * 2_000 < n,
            "{dropped} of {n} random tokens dropped"
        );
    }

    #[test]
    fn specific_rule_beats_generic_on_same_span() {
        let tok = ghp();
        let data = format!("token = \"{tok}\"\n");
        let all = matcher().scan_all(data.as_bytes());
        assert!(all.len() >= 2, "{:?}", ids(&all));
        let ms = matcher().scan(data.as_bytes());
        assert_eq!(ms.len(), 1, "{:?}", ids(&ms));
        assert!(!ms[0].rule.is_generic());
    }

    #[test]
    fn bad_regex_is_rule_error() {
        let mut set = RuleSet::default();
        set.rules.push(Rule {
            id: "acme.x.bad.1".into(),
            name: "n".into(),
            pattern: "([a-z".into(),
            keywords: vec!["a".into()],
            entropy: None,
            credential: "c".into(),
            unlocks: "acme".into(),
            join_key: None,
            severity: None,
            placeholders: None,
            validate: None,
            references: vec![],
            examples: vec![],
            negative_examples: vec![],
            origin: "u.toml".into(),
        });
        let err = Matcher::new(set).unwrap_err();
        assert!(err.to_string().contains("acme.x.bad.1") && err.to_string().contains("u.toml"));
    }

    #[test]
    fn binary_and_minified() {
        assert!(is_probably_binary(b"abc\0def"));
        assert!(!is_probably_binary(b"abc def"));
        let mut late_nul = vec![b'a'; 9000];
        late_nul.push(0);
        assert!(!is_probably_binary(&late_nul));
        assert!(is_minified(&vec![b'a'; 100_000]));
        assert!(!is_minified(&vec![b'a'; 1000]));
        let src = "fn main() { println!(\"hi\"); }\n".repeat(5000);
        assert!(!is_minified(src.as_bytes()));
    }

    #[test]
    fn no_keywords_no_allocation_path_returns_empty() {
        let data = "fn main() { let x = 1 + 2; println!(\"{}\", x); }\n".repeat(1000);
        assert!(matcher().scan(data.as_bytes()).is_empty());
    }

    /// Look-alikes the benchmark plants: none may be flagged.
    #[test]
    fn decoys_are_not_flagged() {
        let b32 = "QZK3TRW7PLMXN4BV";
        let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
        let decoys = [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE".to_string(),
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string(),
            "AKIAI44QH8DHBEXAMPLE je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY".to_string(),
            format!("AKIA{}", &b32[..15]),
            format!("AKIA{}X", b32),
            format!("XAKIA{}", b32),
            "AKIA1234567890ABCDEF".to_string(),
            "AKIAXXXXXXXXXXXXXXXX".to_string(),
            format!("ghp_{}", &b62[..35]),
            format!("ghp_{}x", b62),
            format!("GHP_{}", b62),
            format!("my_ghp_{}", b62),
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
            "ghp_EXAMPLEexampleEXAMPLEexampleEXAMPLE1".to_string(),
            "xoxb-your-bot-token-here".to_string(),
            format!("sk_test_{}", &b62[..24]),
            "password = \"${DB_PASSWORD}\"".to_string(),
            "password: {{ .Values.db.password }}".to_string(),
            "api_key: \"<YOUR_API_KEY>\"".to_string(),
            "const token = process.env.GITHUB_TOKEN;".to_string(),
            "api_key = os.environ[\"API_KEY\"]".to_string(),
            "password = \"changeme\"".to_string(),
            "SECRET_KEY=your-secret-key".to_string(),
            "token = \"dummy_token_for_tests\"".to_string(),
            format!("AIza{}", &b62[..30]),
            "postgres://user:password@localhost:5432/db".to_string(),
            "postgresql://postgres:postgres@localhost/app".to_string(),
            "https://user:pass@example.com/".to_string(),
            "secret = \"0000000000000000\"".to_string(),
            "secret_name = \"my-app-secret-prod\"".to_string(),
            "password = self.config.password".to_string(),
            "token_url = \"https://auth.fake.internal/oauth/token\"".to_string(),
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".to_string(),
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----".to_string(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".to_string(),
            "hvs.short".to_string(),
            "npm_config_cache=/tmp/npm".to_string(),
            "Authorization: Bearer <token>".to_string(),
            "commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3".to_string(),
        ];
        for d in &decoys {
            let ms = matcher().scan(d.as_bytes());
            assert!(ms.is_empty(), "decoy flagged: {d:?} by {:?}", ids(&ms));
        }
    }

    /// Standard base64, for building manifests in tests.
    fn b64(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn k8s_secret_data_values_are_decoded() {
        let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
        let stripe = format!("sk_live_{}", &b62[..24]);
        let url = format!("postgres://app:{}@db.prod:5432/app", &b62[..16]);
        let pw = format!("Pr0d{}!", &b62[3..11]);
        let manifest = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  STRIPE_SECRET_KEY: {}\n  \
             DATABASE_URL: \"{}\"\n  password: {}\n  username: {}\n  other: {}\n",
            b64(stripe.as_bytes()),
            b64(url.as_bytes()),
            b64(pw.as_bytes()),
            b64(b"app"),
            b64(b"changeme-changeme"),
        );
        let ms = matcher().scan(manifest.as_bytes());
        let got: Vec<(&str, u64, &[u8])> = ms
            .iter()
            .map(|m| (m.rule.id.as_str(), m.line, m.secret.expose()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("nhi.stripe.secret-key.1", 6, stripe.as_bytes()),
                ("nhi.database.postgres-url.1", 7, &b62.as_bytes()[..16]),
                ("nhi.generic.password-env.1", 8, pw.as_bytes()),
            ],
            "{manifest}"
        );
        // The span is the encoded value's, so the finding points at the right text.
        assert_eq!(
            &manifest.as_bytes()[ms[0].start..ms[0].end],
            b64(stripe.as_bytes()).as_bytes()
        );
        // JSON manifests too; and nothing is decoded outside a Secret manifest.
        let json = format!(
            "{{\"kind\": \"Secret\", \"data\": {{\n  \"token\": \"{}\"\n}}}}",
            b64(stripe.as_bytes())
        );
        assert_eq!(
            ids(&matcher().scan(json.as_bytes())),
            vec!["nhi.stripe.secret-key.1"]
        );
        let cm = manifest.replace("kind: Secret", "kind: ConfigMap");
        assert!(
            ids(&matcher().scan(cm.as_bytes()))
                .iter()
                .all(|id| *id != "nhi.stripe.secret-key.1" && *id != "nhi.database.postgres-url.1"),
            "{cm}"
        );
    }

    #[test]
    fn hex_keys_under_secret_names_pass_a_hex_floor() {
        // 40 random hex digits measure about 3.7 bits per character, under the unquoted
        // generic rule's 3.8 floor: held to the hex floor instead.
        let hex = "d20b04054786444d82952f941247ae121430195c";
        assert!(shannon_entropy(hex.as_bytes()) < 3.8);
        let text = format!("API_KEY={hex}");
        assert_eq!(
            ids(&matcher().scan(text.as_bytes())),
            vec!["nhi.generic.secret-env.1"]
        );
        // Long runs of few digits still fail it.
        let low = format!("API_KEY={}", "0a0a0a0b0b0b0c0c0c0d0d0d0a0a0a0b0b0b0c0c");
        assert!(matcher().scan(low.as_bytes()).is_empty());
        assert_eq!(entropy_floor_for(3.8, b"abc"), 3.8);
    }

    #[test]
    fn hand_made_aws_key_ids_are_found_and_marked() {
        // [A-Z0-9] instead of base32: a 0, 1, 8 or 9 in the body.
        let id = format!("AKIA{}", "PF91DHODZDOC9IS0");
        let text = format!("AWS_ACCESS_KEY_ID={id}");
        let ms = matcher().scan(text.as_bytes());
        assert_eq!(ids(&ms), vec!["nhi.aws.access-key-id.1"]);
        assert_eq!(ms[0].rule.checksum_ok(ms[0].secret.expose()), Some(false));
        let b32 = format!("AKIA{}", "QZK3TRW7PLMXN4BV");
        assert_eq!(ms[0].rule.checksum_ok(b32.as_bytes()), Some(true));
        // Placeholder-like ones stay quiet.
        for fake in [
            "AKIA1234567890ABCDEF",
            "AKIAXXXXXXXXXXXXXXXX",
            "AKIA0000000000000000",
        ] {
            assert!(matcher().scan(fake.as_bytes()).is_empty(), "{fake}");
        }
    }

    #[test]
    fn key_ids_emulator_keys_and_env_pairs() {
        let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
        let hex = "3f9a1c07b24d58e91f2a6b3c8d4e70f15a9b2c6d";
        // Which key, not the key; but `secret_id` (Vault AppRole) is a credential.
        for name in ["private_key_id", "access_key_id", "signingKeyId"] {
            let text = format!("\"{name}\": \"{hex}\",");
            assert!(matcher().scan(text.as_bytes()).is_empty(), "{text}");
        }
        for name in ["secret_id", "client_secret_id"] {
            let text = format!("{name} = \"{}\"", &b62[..30]);
            assert_eq!(
                ids(&matcher().scan(text.as_bytes())),
                vec!["nhi.generic.secret-assignment.1"],
                "{text}"
            );
        }
        // The storage emulator's published key, under any name; another key is reported.
        let azurite = [
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
            "/K1SZFPTOtr/KBHBeksoGMGw==",
        ]
        .concat();
        let other = format!("{}{}{}==", &b62[..30], &b62[..30], &b62[..26]);
        let conn = |key: &str| {
            format!("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};")
        };
        assert!(matcher().scan(conn(&azurite).as_bytes()).is_empty());
        let text = format!("AZURE_STORAGE_KEY={azurite}");
        assert!(matcher().scan(text.as_bytes()).is_empty());
        assert_eq!(
            ids(&matcher().scan(conn(&other).as_bytes())),
            vec!["nhi.azure.storage-connection-string.1"]
        );
        // Kubernetes env entries: the value's line, quoted or not; references and
        // placeholders are not values.
        let pw = &b62[..16];
        let tok = &b62[..32];
        let manifest = format!(
            "env:\n  - name: ADMIN_PASSWORD\n    value: \"{pw}\"\n  - name: GH_TOKEN\n    value: {tok}\n  \
             - name: A_TOKEN\n    valueFrom:\n      secretKeyRef: {{name: a, key: b}}\n  \
             - name: B_TOKEN\n    value: $(A_TOKEN)\n  - name: C_PASSWORD\n    value: changeme\n  \
             - name: D_PASSWORD\n    value: \"\"\n  - name: API_TOKEN_FILE\n    value: /run/s/{tok}\n"
        );
        let ms = matcher().scan(manifest.as_bytes());
        let got: Vec<(&str, u64, &[u8])> = ms
            .iter()
            .map(|m| (m.rule.id.as_str(), m.line, m.secret.expose()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("nhi.generic.env-pair-password.1", 3, pw.as_bytes()),
                ("nhi.generic.env-pair-secret.1", 5, tok.as_bytes()),
            ],
            "{manifest}"
        );
    }

    #[test]
    fn planted_secrets_are_found() {
        let b32 = "QZK3TRW7PLMXN4BV";
        let b62 = "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR";
        let cases = [
            (format!("AKIA{b32}"), "nhi.aws.access-key-id.1"),
            (format!("key = \"ASIA{b32}\""), "nhi.aws.access-key-id.1"),
            (
                format!("aws_secret_access_key = {}{}", &b62[..35], "Ab/+9"),
                "nhi.aws.secret-access-key.1",
            ),
            (gh_token("ghp_", &b62[..30]), "nhi.github.pat-classic.1"),
            (
                gh_token("ghs_", &b62[..30]),
                "nhi.github.installation-token.1",
            ),
            (gh_token("gho_", &b62[6..]), "nhi.github.oauth-token.1"),
            (
                format!("xoxb-483920175634-7295018364521-{}", &b62[..24]),
                "nhi.slack.bot-token.1",
            ),
            (format!("sk_live_{}", &b62[..24]), "nhi.stripe.secret-key.1"),
            (format!("AIza{}", &b62[..35]), "nhi.gcp.api-key.1"),
            (format!("npm_{b62}"), "nhi.npm.access-token.1"),
            (
                format!("DATABASE_URL=postgres://app:{}@db.internal/app", &b62[..12]),
                "nhi.database.postgres-url.1",
            ),
            (
                format!("db_password = \"{}\"", &b62[..14]),
                "nhi.generic.password-assignment.1",
            ),
            (
                format!("api_key: \"{}\"", &b62[..30]),
                "nhi.generic.secret-assignment.1",
            ),
        ];
        for (text, rule) in &cases {
            let ms = matcher().scan(text.as_bytes());
            assert_eq!(ids(&ms), vec![*rule], "{text}");
        }
    }

    /// What a rule finds in `data` when run over the whole buffer (the reference for
    /// the anchored path), as (start, end) spans.
    fn whole_buffer(m: &Matcher, ri: usize, data: &[u8]) -> Vec<(usize, usize)> {
        let mut allow = AllowCheck::new(data);
        let mut out = Vec::new();
        m.run_rule(ri, data, 0, data.len(), &mut allow, &mut out);
        out.iter().map(|x| (x.start, x.end)).collect()
    }

    fn by_rule(ms: &[Match], id: &str) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = ms
            .iter()
            .filter(|x| x.rule.id == id)
            .map(|x| (x.start, x.end))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn most_multiline_rules_are_anchored() {
        let m = matcher();
        let multi = m.compiled.iter().filter(|c| !c.line_local).count();
        let anchored = m.compiled.iter().filter(|c| c.anchored.is_some()).count();
        assert!(
            multi > 0 && anchored * 10 >= multi * 8,
            "{anchored} of {multi}"
        );
        for id in [
            "nhi.generic.secret-assignment.1",
            "nhi.generic.password-assignment.1",
            "nhi.azure.storage-account-key.1",
            "nhi.aws.secret-access-key.1",
            "nhi.generic.env-pair-password.1",
            "nhi.generic.env-pair-secret.1",
        ] {
            let c = m.compiled.iter().find(|c| c.rule.id == id).unwrap();
            assert!(
                c.anchored.as_ref().and_then(Anchored::get).is_some(),
                "{id}"
            );
        }
    }

    #[test]
    fn keyword_offsets_cover_every_match_start() {
        let hir = |p: &str| crate::rules::parse_pattern(p).unwrap();
        let kws = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // `account_?(?:account_?)?key` holds `accountkey` 7 or 8 bytes in when doubled.
        let got = keyword_offsets(
            &hir(r"(?i)(?:storage|account)_?(?:account_?)?key\s*=\s*(\w+)"),
            &kws(&["storage", "accountkey", "account_key"]),
        )
        .unwrap();
        for want in [
            ("storage", 0),
            ("accountkey", 0),
            ("account_key", 0),
            ("accountkey", 7),
            ("account_key", 8),
            ("accountkey", 8),
            ("account_key", 7),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1)),
                "{want:?} not in {got:?}"
            );
        }
        // A match that need not start with a keyword-bearing literal: no offsets.
        assert!(keyword_offsets(&hir(r"[a-z]+_token\s*=\s*x"), &kws(&["_token"])).is_none());
        assert!(keyword_offsets(&hir(r"(?:tok_)?\s*abc"), &kws(&["tok_"])).is_none());
        // Case-insensitive classes fold; a `\b` in front is zero-width.
        assert_eq!(
            keyword_offsets(&hir(r"\b(?i)xY-\s+"), &kws(&["xy-"])),
            Some(vec![("xy-".to_string(), 0)])
        );
    }

    #[test]
    fn anchored_rules_match_whole_buffer_search_on_examples() {
        let m = matcher();
        let mut pool: Vec<String> = Vec::new();
        for c in &m.compiled {
            pool.extend(c.rule.examples.iter().cloned());
            pool.extend(c.rule.negative_examples.iter().cloned());
        }
        let seps = ["\n", " ", "\n\n  ", "=", "\"", ";\n", "\r\n", ""];
        for (i, sep) in seps.iter().enumerate() {
            // Rotate so that neighbours differ between rounds.
            let mut parts = pool.clone();
            parts.rotate_left(i * 7 % pool.len().max(1));
            let data = parts.join(sep);
            let all = m.scan_all(data.as_bytes());
            for (ri, c) in m.compiled.iter().enumerate() {
                if c.anchored.is_some() {
                    assert_eq!(
                        by_rule(&all, &c.rule.id),
                        whole_buffer(m, ri, data.as_bytes()),
                        "rule {} sep {sep:?}",
                        c.rule.id
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn scanning_arbitrary_bytes_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let ms = matcher().scan(&data);
            for m in &ms {
                proptest::prop_assert!(m.start < m.end && m.end <= data.len());
                proptest::prop_assert!(m.line >= 1);
            }
        }

        #[test]
        fn anchored_rules_match_whole_buffer_search(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "secret", "SECRET_KEY", "token", "api_key", "password", "passwd", "storage",
                "accountkey", "account_account_key", "aws_secret_access_key", "=", ":", "=>",
                "\"", "'", "\n", " ", "\t", "\n\n", "-----BEGIN RSA PRIVATE KEY-----",
                "-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7x", "Zq8fK2mPw9Lr4Vt7Xc3N",
                "Q7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaR/+9bQ7xLm2Vb9Kp4Zr8Tn3Wd6Yh1Cs5Fj0Ge4UaRab", "==",
                "glpat-", "ghp_", "eyJhbGciOiJIUzI1NiJ9", ".", "x", "_", "nhiscan:allow",
            ]), 0..60)) {
            let data = parts.concat();
            let m = matcher();
            let all = m.scan_all(data.as_bytes());
            for (ri, c) in m.compiled.iter().enumerate() {
                if c.anchored.is_some() {
                    proptest::prop_assert_eq!(
                        by_rule(&all, &c.rule.id),
                        whole_buffer(m, ri, data.as_bytes()),
                        "rule {}", c.rule.id
                    );
                }
            }
        }

        #[test]
        #[test]
        fn scanning_keyword_soup_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "ghp_", "AKIA", "password", "=", "\"", "\n", "xoxb-", "-----BEGIN", "PRIVATE KEY-----",
                "postgres://", ":", "@", "nhiscan:allow", "aB3", "Zz9/", "\0", "sk_live_", "eyJ", ".",
            ]), 0..200)) {
            let data = parts.concat();
            let _ = matcher().scan(data.as_bytes());
        }
    }
}
