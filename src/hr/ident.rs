//! Identifier normalisation: the one place that decides what two spellings of an identity
//! have in common (case, surrounding whitespace and quotes, plus-addressing, GitHub noreply
//! addresses, namespace prefixes, IAM ARNs, `Name <email>` git authors).
//!
//! Pure string functions; knows nothing about the roster or connectors. Every function here
//! is total (never panics) and [`normalize_identifier`] is idempotent, which the directory's
//! index relies on: roster identifiers and connector identifiers go through the same code.

use std::fmt;

/// The domain GitHub uses for private commit emails (`12345+login@users.noreply.github.com`).
const GITHUB_NOREPLY_DOMAIN: &str = "users.noreply.github.com";

/// Namespaces that are only a spelling of "this is an email / a plain username", not a
/// system of their own.
const PLAIN_NAMESPACES: &[&str] = &[
    "mailto", "email", "e-mail", "mail", "user", "username", "login",
];

/// Namespaces that name an HR employee id rather than an account.
pub(crate) const EMPLOYEE_NAMESPACES: &[&str] = &["employee_id", "employee", "employee-id", "hr"];

/// One identifier, classified and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ident {
    /// A full email address: lowercase, plus-addressing stripped.
    Email(String),
    /// `ns:value` such as `github:alice-dev`, `aws:alice`, `okta:00u123`; `value` is itself
    /// normalised (an email value is plus-stripped).
    Namespaced { ns: String, value: String },
    /// A bare username (`alice`), also what `alice@laptop` and `DOMAIN\alice` reduce to.
    User(String),
    /// A display name (contains whitespace): lowercase, whitespace collapsed.
    Name(String),
}

impl Ident {
    /// The username-like value to compare with other usernames: the value of a namespaced
    /// identifier, the local part of an email, the username itself. `None` for names.
    pub fn username(&self) -> Option<&str> {
        match self {
            Ident::Email(e) => e.rsplit_once('@').map(|(local, _)| local),
            Ident::Namespaced { value, .. } => Some(value),
            Ident::User(u) => Some(u),
            Ident::Name(_) => None,
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Email(s) | Ident::User(s) | Ident::Name(s) => f.write_str(s),
            Ident::Namespaced { ns, value } => write!(f, "{ns}:{value}"),
        }
    }
}

/// The canonical string form of an identifier (`""` when there is nothing to it).
/// Idempotent: `normalize_identifier(&normalize_identifier(x)) == normalize_identifier(x)`.
pub fn normalize_identifier(raw: &str) -> String {
    parse_identifier(raw)
        .map(|i| i.to_string())
        .unwrap_or_default()
}

/// Classify and normalise a raw identifier as a connector or the roster spelled it.
/// `None` for an empty (or all-whitespace, all-quotes) value.
pub fn parse_identifier(raw: &str) -> Option<Ident> {
    let s = strip_wrapping(raw);
    if s.is_empty() {
        return None;
    }
    // Git authors and mail headers: `Alice Smith <alice@acme.example>`.
    if let Some(inner) = angle_email(s) {
        return Some(inner);
    }
    let s = s.to_lowercase();
    if let Some((ns, value)) = split_namespace(&s) {
        return Some(namespaced(ns, value));
    }
    Some(parse_plain(&s))
}

/// Trim whitespace and matching surrounding quotes, repeatedly (`" 'alice' "` → `alice`).
fn strip_wrapping(raw: &str) -> &str {
    let mut s = raw.trim();
    loop {
        let stripped = ['"', '\'', '`']
            .iter()
            .find_map(|q| s.strip_prefix(*q).and_then(|t| t.strip_suffix(*q)));
        match stripped {
            Some(t) => s = t.trim(),
            None => return s,
        }
    }
}

/// `Name <email>` → the email, when the bracketed part is one.
fn angle_email(s: &str) -> Option<Ident> {
    let body = s.strip_suffix('>')?;
    let start = body.rfind('<')?;
    let inner = body[start + 1..].trim().to_lowercase();
    match parse_plain(&inner) {
        e @ Ident::Email(_) => Some(e),
        n @ Ident::Namespaced { .. } if inner.contains('@') => Some(n),
        _ => None,
    }
}

/// `ns:value` when `ns` looks like a namespace token (a letter, then letters, digits, `_`,
/// `-`, `.`; at most 32) and `value` is non-empty without inner whitespace.
fn split_namespace(s: &str) -> Option<(&str, &str)> {
    let (ns, value) = s.split_once(':')?;
    let mut chars = ns.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || ns.len() > 32
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return None;
    }
    Some((ns, value))
}

fn namespaced(ns: &str, value: &str) -> Ident {
    if PLAIN_NAMESPACES.contains(&ns) {
        return parse_plain(value);
    }
    if ns == "arn" {
        if let Some(i) = parse_arn(value) {
            return i;
        }
        return Ident::Namespaced {
            ns: ns.to_string(),
            value: value.to_string(),
        };
    }
    let ns = match ns {
        "gh" => "github",
        "gl" => "gitlab",
        other => other,
    };
    match parse_plain(value) {
        // A noreply address is a GitHub login whatever namespace it was filed under.
        gh @ Ident::Namespaced { .. } => gh,
        plain => Ident::Namespaced {
            ns: ns.to_string(),
            value: plain.to_string(),
        },
    }
}

/// `arn:aws:iam::123456789012:user/path/alice` → `aws:alice`;
/// `arn:aws:sts::123456789012:assumed-role/Role/alice@acme.example` → `aws:alice@acme.example`
/// (SSO and federated sessions are usually named after the person). Other ARNs: `None`.
fn parse_arn(rest: &str) -> Option<Ident> {
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, _region, _account, resource] = parts.as_slice() else {
        return None;
    };
    if !partition.starts_with("aws") {
        return None;
    }
    let name = match *service {
        "iam" => resource.strip_prefix("user/")?.rsplit('/').next()?,
        "sts" => {
            let r = resource.strip_prefix("assumed-role/")?;
            let (_role, session) = r.split_once('/')?;
            session
        }
        _ => return None,
    };
    if name.is_empty() {
        return None;
    }
    match parse_plain(name) {
        gh @ Ident::Namespaced { .. } => Some(gh),
        Ident::Name(_) => None,
        plain => Some(Ident::Namespaced {
            ns: "aws".to_string(),
            value: plain.to_string(),
        }),
    }
}

/// Classify a lowercase value with no namespace: email, noreply login, user@host, display
/// name, `DOMAIN\user`, or a bare username.
fn parse_plain(s: &str) -> Ident {
    let s = s.trim();
    if s.chars().any(char::is_whitespace) {
        return Ident::Name(s.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if let Some((local, domain)) = s.rsplit_once('@') {
        if !local.is_empty() && is_domain(domain) {
            if domain == GITHUB_NOREPLY_DOMAIN {
                // `12345+login@...` (newer) or `login@...` (older). Never plus-stripped: the
                // part after the plus is the login, not a tag.
                let login = local.split_once('+').map_or(local, |(_, l)| l);
                return if is_github_login(login) {
                    Ident::Namespaced {
                        ns: "github".to_string(),
                        value: login.to_string(),
                    }
                } else {
                    Ident::Email(s.to_string())
                };
            }
            let local = match local.split_once('+') {
                Some((base, _)) if !base.is_empty() => base,
                _ => local,
            };
            return Ident::Email(format!("{local}@{domain}"));
        }
        // `alice@laptop`: an SSH key comment or a host-qualified login, not an email.
        if !local.is_empty() && !local.contains('@') && is_host_label(domain) {
            return reparse_part(local, s);
        }
    }
    // `ACME\alice`: a Windows domain login.
    if let Some((_, user)) = s.rsplit_once('\\') {
        if !user.is_empty() {
            return reparse_part(user, s);
        }
    }
    Ident::User(s.to_string())
}

/// Parse the username part of `whole` (`alice` of `alice@laptop`) as an identifier of its
/// own, so that quotes or brackets around it are normalised the same way every time.
/// `part` is strictly shorter than `whole`, so the recursion ends.
fn reparse_part(part: &str, whole: &str) -> Ident {
    parse_identifier(part).unwrap_or_else(|| Ident::User(whole.to_string()))
}

/// GitHub logins are alphanumerics and hyphens; apps add `[bot]`.
fn is_github_login(l: &str) -> bool {
    !l.is_empty()
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '[' | ']'))
}

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|l| !l.is_empty())
        && d.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

fn is_host_label(d: &str) -> bool {
    !d.is_empty()
        && d.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Whether `s` is a plausible email address for the roster: one `@`, a non-empty local
/// part, a dotted domain, no whitespace or list separators.
pub fn is_valid_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && is_domain(&domain.to_lowercase())
        && !local
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"'))
}

/// Usernames derived from an email (weak signals only): the local part, and the local part
/// without dots when that differs (`alice.smith@acme.example` → `alice.smith`, `alicesmith`).
pub fn derived_usernames(email: &str) -> Vec<String> {
    let Some(Ident::Email(e)) = parse_identifier(email) else {
        return Vec::new();
    };
    let Some((local, _)) = e.rsplit_once('@') else {
        return Vec::new();
    };
    let mut out = vec![local.to_string()];
    let dotless: String = local.chars().filter(|c| *c != '.').collect();
    if !dotless.is_empty() && dotless != local {
        out.push(dotless);
    }
    out
}

/// Display-name keys for a person's name: lowercase, whitespace collapsed, and
/// `Smith, Alice` also as `alice smith` (HRIS exports often use last-name-first).
pub fn name_keys(name: &str) -> Vec<String> {
    let collapsed = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut out = Vec::new();
    let full = collapsed(name);
    if full.is_empty() {
        return out;
    }
    if let Some((last, first)) = name.split_once(',') {
        let swapped = collapsed(&format!("{first} {last}"));
        if !first.contains(',') && !swapped.is_empty() {
            out.push(swapped);
        }
    }
    if !out.contains(&full) {
        out.push(full);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_identifier(s)
    }

    #[test]
    fn emails_lowercase_trim_and_strip_plus() {
        assert_eq!(n("  Alice@ACME.example "), "alice@acme.example");
        assert_eq!(n("alice+ci@acme.example"), "alice@acme.example");
        assert_eq!(n("alice+ci+x@acme.example"), "alice@acme.example");
        // A leading plus has no base address to fall back to: kept.
        assert_eq!(n("+x@acme.example"), "+x@acme.example");
        assert_eq!(n("\"alice@acme.example\""), "alice@acme.example");
        assert_eq!(n("mailto:Alice@acme.example"), "alice@acme.example");
    }

    #[test]
    fn github_noreply_becomes_github_login() {
        assert_eq!(
            n("12345+Alice-Dev@users.noreply.github.com"),
            "github:alice-dev"
        );
        assert_eq!(n("alice-dev@users.noreply.github.com"), "github:alice-dev");
        assert_eq!(
            n("Alice <12345+alice-dev@users.noreply.github.com>"),
            "github:alice-dev"
        );
        assert_eq!(
            n("github:12345+alice-dev@users.noreply.github.com"),
            "github:alice-dev"
        );
    }

    #[test]
    fn namespaces_are_lowercased_and_synonyms_folded() {
        assert_eq!(n("GitHub:Alice-Dev"), "github:alice-dev");
        assert_eq!(n("gh:alice"), "github:alice");
        assert_eq!(n("AWS:alice"), "aws:alice");
        assert_eq!(n("okta:00U123"), "okta:00u123");
        assert_eq!(
            n("google:Alice+x@Acme.example"),
            "google:alice@acme.example"
        );
        assert_eq!(n("user:alice"), "alice");
        assert_eq!(
            parse_identifier("slack:U123"),
            Some(Ident::Namespaced {
                ns: "slack".into(),
                value: "u123".into()
            })
        );
    }

    #[test]
    fn arns_reduce_to_aws_usernames() {
        assert_eq!(n("arn:aws:iam::123456789012:user/Alice"), "aws:alice");
        assert_eq!(
            n("arn:aws:iam::123456789012:user/division/alice"),
            "aws:alice"
        );
        assert_eq!(
            n("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/alice@acme.example"),
            "aws:alice@acme.example"
        );
        assert_eq!(
            n("arn:aws:iam::123456789012:role/deploy"),
            "arn:aws:iam::123456789012:role/deploy"
        );
    }

    #[test]
    fn git_author_form_and_user_at_host() {
        assert_eq!(n("Alice Smith <Alice@acme.example>"), "alice@acme.example");
        assert_eq!(
            parse_identifier("alice@laptop"),
            Some(Ident::User("alice".into()))
        );
        assert_eq!(
            parse_identifier("ACME\\alice"),
            Some(Ident::User("alice".into()))
        );
        assert_eq!(
            parse_identifier("  Alice   Smith "),
            Some(Ident::Name("alice smith".into()))
        );
        assert_eq!(
            parse_identifier("Alice <not an email>"),
            Some(Ident::Name("alice <not an email>".into()))
        );
        assert_eq!(parse_identifier("   "), None);
        assert_eq!(parse_identifier("''"), None);
    }

    #[test]
    fn email_validation() {
        assert!(is_valid_email("alice@acme.example"));
        assert!(is_valid_email("alice+x@acme.example"));
        assert!(!is_valid_email("alice"));
        assert!(!is_valid_email("alice@acme"));
        assert!(!is_valid_email("@acme.example"));
        assert!(!is_valid_email("a@b@acme.example"));
        assert!(!is_valid_email("al ice@acme.example"));
        assert!(!is_valid_email("alice@acme..example"));
    }

    #[test]
    fn derived_usernames_and_names() {
        assert_eq!(
            derived_usernames("Alice.Smith+ci@acme.example"),
            vec!["alice.smith", "alicesmith"]
        );
        assert_eq!(derived_usernames("alice@acme.example"), vec!["alice"]);
        assert!(derived_usernames("alice").is_empty());
        assert_eq!(
            name_keys("Smith,  Alice"),
            vec!["alice smith", "smith, alice"]
        );
        assert_eq!(name_keys(" Alice  Smith "), vec!["alice smith"]);
        assert!(name_keys("  ").is_empty());
    }

    #[test]
    fn regression_user_part_is_normalised_like_a_whole_identifier() {
        // Found by proptest: `\\_@b` gave `\\_`, which normalised again to `_`.
        for s in ["\\_@b", "x\\'a'", "'a'@host", "x\\''", "x\\'<a@b.co>'"] {
            let once = n(s);
            assert_eq!(n(&once), once, "{s:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn normalisation_is_idempotent(s in "\\PC{0,40}") {
            let once = normalize_identifier(&s);
            proptest::prop_assert_eq!(normalize_identifier(&once), once);
        }

        #[test]
        fn normalisation_is_idempotent_on_identifier_shapes(
            s in "[ \"'<]{0,2}[A-Za-z0-9]{0,4}[:@+.\\\\ ]{0,2}[A-Za-z0-9._+-]{0,8}[@:<>]{0,1}[A-Za-z0-9.+-]{0,12}[ \"'>]{0,2}"
        ) {
            let once = normalize_identifier(&s);
            proptest::prop_assert_eq!(normalize_identifier(&once), once);
        }
    }
}
