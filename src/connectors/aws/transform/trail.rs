//! CloudTrail: which caller created which user, key or role.

#[allow(unused_imports)]
use super::*;

/// What a CloudTrail creation event created.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Created {
    User(String),
    Role(String),
    AccessKey(String),
}

/// Map one LookupEvents result to the resource it created and an audit hint naming the
/// caller. `None` when the event is not one of ours or names no usable caller (root,
/// AWS services).
pub fn cloudtrail_hint(ev: &CloudTrailEvent) -> Option<(Created, OwnerHint)> {
    let v: Value = serde_json::from_str(&ev.cloud_trail_event).ok()?;
    let ident = v.get("userIdentity")?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let caller_arn = s(ident, "arn").unwrap_or_default();
    let caller_type = s(ident, "type").unwrap_or_default();
    let identifier = match caller_type.as_str() {
        "IAMUser" => format!(
            "aws:{}",
            s(ident, "userName").or_else(|| iam_user_name_from_arn(&caller_arn))?
        ),
        // arn:aws:sts::ACCT:assumed-role/ROLE/SESSION; for IAM Identity Center
        // (AWSReservedSSO_*) the session name is the person's login, usually an email.
        "AssumedRole" | "FederatedUser" => {
            let session = caller_arn
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty() && !s.contains(':'))?;
            session.to_string()
        }
        "IdentityCenterUser" => s(ident, "userName")?,
        _ => return None,
    };
    if identifier.is_empty() {
        return None;
    }
    let req = v.get("requestParameters");
    let req_s = |k: &str| {
        req.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // Without a userName the call acted on the caller's own IAM user.
    let own_user = || {
        if caller_type == "IAMUser" {
            s(ident, "userName")
        } else {
            None
        }
    };
    let created = match ev.event_name.as_str() {
        "CreateUser" => Created::User(req_s("userName")?),
        "CreateLoginProfile" => Created::User(req_s("userName").or_else(own_user)?),
        "CreateRole" => Created::Role(req_s("roleName")?),
        "CreateAccessKey" => Created::AccessKey(
            v.pointer("/responseElements/accessKey/accessKeyId")
                .and_then(Value::as_str)?
                .to_string(),
        ),
        _ => return None,
    };
    let when = ev
        .event_time
        .map(|t| t.to_rfc3339())
        .or_else(|| s(&v, "eventTime"))
        .unwrap_or_else(|| "unknown time".into());
    let who = if caller_arn.is_empty() {
        identifier.clone()
    } else {
        caller_arn
    };
    let detail = format!(
        "CloudTrail {} by {who} at {when} (event {})",
        ev.event_name, ev.event_id
    );
    Some((
        created,
        OwnerHint::new(
            identifier,
            Signal::AuditEvent,
            Evidence::new("aws:cloudtrail", detail),
        ),
    ))
}
