//! Email through Amazon SES (`sesv2:SendEmail` with raw content): a text body and attachments
//! (the team's CSV and HTML reports) as one MIME message, built here.

use crate::{describe, fail, PublishError};
use aws_config::SdkConfig;
use base64::Engine;

/// One attachment.
pub struct Attachment<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

/// A header value with only printable ASCII, or RFC 2047 encoded-word (UTF-8, base64) otherwise;
/// line breaks can never reach the header (no header injection from a team name or title).
fn header(value: &str) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        clean
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean.as_bytes())
        )
    }
}

/// An address, refused when it could smuggle a header or a second recipient.
fn address(a: &str) -> Result<&str, String> {
    let ok = a.contains('@')
        && !a
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>'));
    if ok {
        Ok(a)
    } else {
        Err(format!("`{a}` is not one email address"))
    }
}

fn wrap76(b64: &str) -> String {
    let mut out = String::with_capacity(b64.len() + b64.len() / 76 * 2 + 2);
    let bytes = b64.as_bytes();
    for chunk in bytes.chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// The MIME message: multipart/mixed with a UTF-8 text part and base64 attachments.
pub fn mime_message(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    attachments: &[Attachment<'_>],
) -> Result<Vec<u8>, String> {
    let (from, to) = (address(from)?, address(to)?);
    let b64 = base64::engine::general_purpose::STANDARD;
    // A boundary that cannot occur in base64 parts, and is checked against the text.
    let mut boundary = String::from("=_rolecall_boundary_0");
    let mut n = 0;
    while text.contains(&boundary) {
        n += 1;
        boundary = format!("=_rolecall_boundary_{n}");
    }
    let mut m = String::new();
    m.push_str(&format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {}\r\n",
        header(subject)
    ));
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
    m.push_str(&wrap76(&b64.encode(text.as_bytes())));
    for a in attachments {
        let name: String = a
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        m.push_str(&format!(
            "--{boundary}\r\nContent-Type: {}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            header(a.content_type)
        ));
        m.push_str(&wrap76(&b64.encode(a.body)));
    }
    m.push_str(&format!("--{boundary}--\r\n"));
    Ok(m.into_bytes())
}

/// Sends one message; returns SES's message id.
pub async fn send_email(
    cfg: &SdkConfig,
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    attachments: &[Attachment<'_>],
) -> Result<String, PublishError> {
    let raw = mime_message(from, to, subject, text, attachments)
        .map_err(|e| fail("sesv2:SendEmail", e))?;
    let client = aws_sdk_sesv2::Client::new(cfg);
    let content = aws_sdk_sesv2::types::EmailContent::builder()
        .raw(
            aws_sdk_sesv2::types::RawMessage::builder()
                .data(aws_smithy_types::Blob::new(raw))
                .build()
                .map_err(|e| fail("sesv2:SendEmail", e.to_string()))?,
        )
        .build();
    let out = client
        .send_email()
        .from_email_address(from)
        .destination(
            aws_sdk_sesv2::types::Destination::builder()
                .to_addresses(to)
                .build(),
        )
        .content(content)
        .send()
        .await
        .map_err(|e| fail(&format!("sesv2:SendEmail to {to}"), describe(&e)))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_the_text_and_attachments_and_no_injected_header() {
        let m = mime_message(
            "rolecall@example.com",
            "lead@example.com",
            "rolecall: team pay\r\nBcc: evil@example.com",
            "hello",
            &[Attachment {
                name: "payments.csv",
                content_type: "text/csv",
                body: b"a,b\n",
            }],
        )
        .unwrap();
        let text = String::from_utf8(m).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(text.contains("filename=\"payments.csv\""));
        assert!(text.contains(&base64::engine::general_purpose::STANDARD.encode("a,b\n")));
        assert!(mime_message("a@b.c", "x@y.z, evil@e.com", "s", "t", &[]).is_err());
    }
}
