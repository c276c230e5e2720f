//! Error classification and fetch logic on recorded answers.
use super::*;
use std::fmt;

#[test]
fn throttle_bodies_are_recognised_in_xml_and_json() {
    assert!(is_throttle_body(b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"));
    assert!(is_throttle_body(
        br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
    ));
    assert!(is_throttle_body(
        br#"{"__type":"TooManyRequestsException"}"#
    ));
    assert!(!is_throttle_body(
        b"<Error><Code>AccessDenied</Code></Error>"
    ));
}

#[test]
fn unparsed_error_bodies_still_name_a_code() {
    // moto's IAM authorization errors nest <Error> in <Errors>, which the SDK's
    // query-protocol parser does not read; some proxies answer JSON or HTML.
    let moto = br#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/limited is not authorized to perform: iam:ListUserTags</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
    let (code, msg) = sniff_error_body(moto);
    assert_eq!(code.as_deref(), Some("AccessDenied"));
    assert!(msg.expect("message").contains("iam:ListUserTags"));
    let (code, msg) = sniff_error_body(
        br#"{"__type":"com.amazonaws.cloudtrail#AccessDeniedException","Message":"no"}"#,
    );
    assert_eq!(code.as_deref(), Some("AccessDeniedException"));
    assert_eq!(msg.as_deref(), Some("no"));
    assert_eq!(
        sniff_error_body(b"<html><body>Internal Server Error</body></html>"),
        (None, None)
    );
}

#[test]
fn error_chain_is_one_line_of_display_texts_without_debug_dumps() {
    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }
    let e = E(
        "dispatch failure",
        Some(Box::new(E(
            "io error",
            Some(Box::new(E(
                "io error",
                Some(Box::new(E("Connection refused (os error 111)", None))),
            ))),
        ))),
    );
    assert_eq!(
        error_chain(&e),
        "dispatch failure: io error: Connection refused (os error 111)"
    );
}

#[test]
fn failures_group_by_api_and_switch_off_non_transient_ones() {
    let f = Failures::default();
    let denied = || AwsError::AccessDenied {
        op: "iam:ListSSHPublicKeys",
        message: "AccessDenied: no".into(),
    };
    f.record(denied());
    f.record(denied());
    f.record(AwsError::RateLimited {
        op: "iam:ListUsers",
        message: "Throttling".into(),
    });
    assert!(f.is_disabled("iam:ListSSHPublicKeys"));
    assert!(!f.is_disabled("iam:ListUsers"), "throttling is transient");
    let errs = f.errors();
    assert_eq!(errs.len(), 2);
    assert!(
        errs.iter()
            .any(|(e, n)| *n == 2
                && e.to_string() == "iam:ListSSHPublicKeys denied: AccessDenied: no")
    );
}
