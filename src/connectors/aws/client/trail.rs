//! CloudTrail: who created which user, key or role (LookupEvents, paced).

#[allow(unused_imports)]
use super::*;

/// CloudTrail LookupEvents for the creation events, last 90 days, at most 2 calls a
/// second (the API's limit). Any failure is recorded; what was read is kept.
pub(super) async fn fetch_cloudtrail(c: &AccountClients) -> Vec<CloudTrailEvent> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    const OP: &str = "cloudtrail:LookupEvents";
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::days(CLOUDTRAIL_DAYS);
    let (start, end) = (
        aws_smithy_types::DateTime::from_secs(start.timestamp()),
        aws_smithy_types::DateTime::from_secs(end.timestamp()),
    );
    let mut out = Vec::new();
    let mut first = true;
    'names: for name in CLOUDTRAIL_EVENTS {
        let Ok(attr) = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value(*name)
            .build()
        else {
            continue;
        };
        let mut token: Option<String> = None;
        loop {
            if !first {
                tokio::time::sleep(CLOUDTRAIL_PACE).await;
            }
            first = false;
            let req = c
                .cloudtrail
                .lookup_events()
                .lookup_attributes(attr.clone())
                .start_time(start)
                .end_time(end)
                .set_next_token(token.clone());
            match req.send().await {
                Ok(resp) => {
                    for e in resp.events() {
                        out.push(CloudTrailEvent {
                            event_id: e.event_id().unwrap_or_default().to_string(),
                            event_name: e.event_name().unwrap_or(name).to_string(),
                            event_time: opt_time(e.event_time()),
                            cloud_trail_event: e
                                .cloud_trail_event()
                                .unwrap_or_default()
                                .to_string(),
                        });
                    }
                    token = resp.next_token().map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    c.fail(OP, &e);
                    break 'names;
                }
            }
        }
    }
    out
}
