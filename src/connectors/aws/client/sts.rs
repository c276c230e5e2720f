//! STS and Organizations: the caller, the org's accounts, assumed roles.

#[allow(unused_imports)]
use super::*;

/// Resolve the config's credentials once, so a missing or broken chain is reported up
/// front, and remember the secret values for scrubbing.
pub async fn check_credentials(
    sdk: &SdkConfig,
    profile: Option<&str>,
    scrub: &Scrubber,
) -> Result<(), String> {
    let Some(p) = sdk.credentials_provider() else {
        return Err("no AWS credentials: the default chain found no provider".into());
    };
    match p.provide_credentials().await {
        Ok(c) => {
            scrub.add_credentials(&c);
            Ok(())
        }
        Err(e) => {
            // One line: the SDK lists each provider it tried on its own line.
            let detail = error_chain(&e)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
                .replace(":;", ":");
            // An emulator or VPC endpoint: the instance metadata service, ECS and web
            // identity are beside the point there, and an emulator needs (any) keys too.
            if profile.is_none() && sdk.endpoint_url().is_some() {
                // The chain's own error is its last provider's (IMDS, off EC2), with no
                // provider name in front: every part that is about those is dropped.
                let skip = [
                    "webidentitytoken",
                    "web identity",
                    "ecscontainer",
                    "ec2instancemetadata",
                    "imds",
                    "metadata",
                ];
                let detail: Vec<&str> = detail
                    .split("; ")
                    .filter(|part| {
                        let part = part.to_ascii_lowercase();
                        !skip.iter().any(|p| part.contains(p))
                    })
                    .collect();
                let detail = if detail.is_empty() {
                    "none in the environment or the shared config files".to_string()
                } else {
                    detail.join("; ")
                };
                return Err(scrub.scrub(&format!(
                    "no usable AWS credentials for the configured endpoint_url: {detail} (an emulator needs credentials too, any values will do: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. to `test`, or set `profile` in the config)"
                )));
            }
            let hint = match profile {
                Some(p) => format!(
                    "profile {p:?} (from the config) must exist in ~/.aws/config or ~/.aws/credentials \
                     (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and yield credentials"
                ),
                None => "set `profile` in the config, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into(),
            };
            Err(scrub.scrub(&format!("no usable AWS credentials: {detail} ({hint})")))
        }
    }
}

/// The caller's account id (STS GetCallerIdentity needs no permission).
pub async fn caller_account(
    sdk: &SdkConfig,
    throttles: &ThrottleCounter,
    scrub: &Scrubber,
) -> Result<String, AwsError> {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(throttles.clone())
            .build(),
    );
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify("sts:GetCallerIdentity", &e).scrubbed(scrub))?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// Accounts of the organization (Organizations ListAccounts), active ones only.
pub async fn org_accounts(
    sdk: &SdkConfig,
    throttles: &ThrottleCounter,
    scrub: &Scrubber,
) -> Result<Vec<String>, AwsError> {
    let org = aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(sdk)
            .interceptor(throttles.clone())
            .build(),
    );
    let pages = org
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("organizations:ListAccounts", &e).scrubbed(scrub))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.accounts())
        .filter(|a| a.status().map_or(true, |s| s.as_str() == "ACTIVE"))
        .filter_map(|a| a.id().map(str::to_string))
        .collect())
}

/// An SDK config whose credentials come from assuming `role_arn` (refreshed by the
/// provider). Assumes once eagerly so a denied role fails this account up front.
pub async fn assume_role(
    base: &SdkConfig,
    role_arn: &str,
    scrub: &Scrubber,
) -> Result<SdkConfig, AwsError> {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("nhiscan")
        .configure(base)
        .build()
        .await;
    match provider.provide_credentials().await {
        Ok(c) => scrub.add_credentials(&c),
        Err(e) => {
            // The provider wraps the STS call's own error: classify that (denied, or STS
            // unreachable) and keep its code and message, without the raw response.
            type AssumeErr =
                SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>;
            let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            let mut classified = None;
            while let Some(x) = src {
                if let Some(se) = x.downcast_ref::<AssumeErr>() {
                    classified = Some(classify("sts:AssumeRole", se));
                    break;
                }
                src = x.source();
            }
            let err = match classified {
                Some(c) => c.map_message(|m| format!("{role_arn}: {m}")),
                None => AwsError::AccessDenied {
                    op: "sts:AssumeRole",
                    message: format!("{role_arn}: {}", error_chain(&e)),
                },
            };
            return Err(err.scrubbed(scrub));
        }
    }
    Ok(base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}
