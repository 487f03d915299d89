//! `ctinject trace export`: sends a trace's spans to an OTLP/HTTP receiver
//! (an OpenTelemetry Collector, Jaeger, Tempo, Honeycomb, ...).
//!
//! [`Settings::resolve`] follows the OpenTelemetry exporter environment
//! variables, flags first; [`export`] reads the files line by line, and
//! each batch of spans that [`crate::trace::otlp::Encoder`] hands back is
//! encoded (protobuf or JSON), gzipped and posted before the next is read,
//! so memory stays bounded whatever the size of the trace.

use crate::trace::otlp::{parse_key_values, Encoder, ResourceSettings, Stats};
use crate::trace_files::for_each_line;
use anyhow::{anyhow, bail, Context, Result};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Where a receiver is when nothing says otherwise: the OTLP/HTTP default.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
/// Per request, as the OpenTelemetry default `OTEL_EXPORTER_OTLP_TIMEOUT`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per batch when the receiver answers 429, 502, 503 or 504.
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest wait between attempts, `Retry-After` included.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The encoding of the request body (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    #[value(name = "http/protobuf")]
    HttpProtobuf,
    #[value(name = "http/json")]
    HttpJson,
}

/// What the command line says; the environment fills in the rest.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub otlp: Option<String>,
    pub protocol: Option<Protocol>,
    pub compression: Option<String>,
    pub service_name: Option<String>,
    pub headers: Vec<String>,
    pub timeout_ms: Option<u64>,
    pub batch_size: usize,
}

/// Everything a run needs to send.
#[derive(Clone, Debug)]
pub struct Settings {
    pub url: reqwest::Url,
    /// Where the URL came from, for messages: `--otlp`, an environment variable, or the default.
    pub url_from: &'static str,
    pub protocol: Protocol,
    pub gzip: bool,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub resource: ResourceSettings,
    pub batch_size: usize,
}

impl Settings {
    /// Flags first, then the `OTEL_EXPORTER_OTLP_TRACES_*` variables, then
    /// `OTEL_EXPORTER_OTLP_*`, then the OpenTelemetry defaults (but gzip on).
    pub fn resolve(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let traces_or_all = |suffix: &str| {
            var(&format!("OTEL_EXPORTER_OTLP_TRACES_{suffix}"))
                .map(|v| (v, "OTEL_EXPORTER_OTLP_TRACES_"))
                .or_else(|| {
                    var(&format!("OTEL_EXPORTER_OTLP_{suffix}")).map(|v| (v, "OTEL_EXPORTER_OTLP_"))
                })
        };
        let (url, url_from) = if let Some(url) = &flags.otlp {
            (traces_url(url)?, "--otlp")
        } else if let Some(url) = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            (parse_url(&url)?, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        } else if let Some(url) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            (join_traces(&url)?, "OTEL_EXPORTER_OTLP_ENDPOINT")
        } else {
            (join_traces(DEFAULT_ENDPOINT)?, "the default")
        };
        let protocol = match flags.protocol {
            Some(p) => p,
            None => match traces_or_all("PROTOCOL") {
                None => Protocol::HttpProtobuf,
                Some((p, from)) => match p.trim() {
                    "http/protobuf" => Protocol::HttpProtobuf,
                    "http/json" => Protocol::HttpJson,
                    other => bail!(
                        "{from}PROTOCOL={other}: ctinject sends OTLP over HTTP, as http/protobuf or http/json (gRPC receivers also listen for HTTP, by default on port 4318)"
                    ),
                },
            },
        };
        let compression = flags
            .compression
            .clone()
            .map(|c| (c, "--compression"))
            .or_else(|| {
                traces_or_all("COMPRESSION").map(|(c, _)| (c, "OTEL_EXPORTER_OTLP_COMPRESSION"))
            });
        let gzip = match compression {
            None => true,
            Some((c, from)) => match c.trim() {
                "gzip" => true,
                "none" => false,
                other => bail!("{from}={other}: give gzip or none"),
            },
        };
        let mut headers = traces_or_all("HEADERS")
            .map(|(h, _)| parse_key_values(&h))
            .unwrap_or_default();
        for header in &flags.headers {
            let Some((name, value)) = header.split_once('=') else {
                bail!("--header {header}: give NAME=VALUE");
            };
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name.trim()));
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        for (name, value) in &headers {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .ok()
                .zip(reqwest::header::HeaderValue::from_str(value).ok())
                .ok_or_else(|| anyhow!("header {name}: not a valid HTTP header"))?;
        }
        let timeout =
            match flags.timeout_ms {
                Some(ms) => Duration::from_millis(ms),
                None => match traces_or_all("TIMEOUT") {
                    None => DEFAULT_TIMEOUT,
                    Some((t, from)) => Duration::from_millis(t.trim().parse().map_err(|_| {
                        anyhow!("{from}TIMEOUT={t}: give the timeout in milliseconds")
                    })?),
                },
            };
        let mut attributes = var("OTEL_RESOURCE_ATTRIBUTES")
            .map(|a| parse_key_values(&a))
            .unwrap_or_default();
        let service_name = flags
            .service_name
            .clone()
            .or_else(|| var("OTEL_SERVICE_NAME"))
            .or_else(|| {
                attributes
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            });
        attributes.retain(|(k, _)| k != "service.name");
        Ok(Settings {
            url,
            url_from,
            protocol,
            gzip,
            headers,
            timeout,
            resource: ResourceSettings {
                service_name,
                attributes,
            },
            batch_size: flags.batch_size,
        })
    }
}

/// `--otlp URL`: a traces URL as it is when it ends in `/v1/traces`, else a
/// base URL (like `OTEL_EXPORTER_OTLP_ENDPOINT`).
fn traces_url(url: &str) -> Result<reqwest::Url> {
    let parsed = parse_url(url)?;
    if parsed.path().trim_end_matches('/').ends_with("/v1/traces") {
        Ok(parsed)
    } else {
        join_traces(url)
    }
}

/// A base URL with `v1/traces` appended to its path, as the OpenTelemetry
/// specification says for `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn join_traces(base: &str) -> Result<reqwest::Url> {
    let mut url = parse_url(base)?;
    let path = format!("{}/v1/traces", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

fn parse_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| anyhow!("{url}: not a URL ({e}); give one like http://localhost:4318"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{url}: OTLP/HTTP needs an http:// or https:// URL, like http://localhost:4318");
    }
    Ok(parsed)
}

/// What a run sent.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stats: Stats,
    pub requests: u64,
    pub retries: u64,
    /// Spans the receiver said it rejected (a partial success).
    pub rejected_spans: i64,
    pub rejected_message: Option<String>,
    /// Why sending stopped early; the spans read after that were not sent.
    pub failure: Option<String>,
}

/// Reads `files` and sends their spans. Errors are for bad input (an
/// unreadable file); a receiver that fails is reported in
/// [`Outcome::failure`] after what was sent before.
pub fn export(files: &[PathBuf], settings: &Settings) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP client")?;
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .user_agent(concat!("ctinject/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot start the HTTP client")?;
    let mut outcome = Outcome::default();
    let mut encoder = Encoder::new(settings.resource.clone(), settings.batch_size);
    let send = |request: ExportTraceServiceRequest, outcome: &mut Outcome| -> Result<()> {
        runtime
            .block_on(post(&client, settings, &request, outcome))
            .map_err(|failure| anyhow!(failure))
    };
    let read = for_each_line(files, |line, place| {
        if let Some(request) = encoder.line(line, place) {
            send(request, &mut outcome)?;
        }
        Ok(())
    });
    match read {
        Ok(()) => {
            let (last, stats) = encoder.finish();
            outcome.stats = stats;
            if let Some(request) = last {
                if let Err(failure) = send(request, &mut outcome) {
                    outcome.failure = Some(failure.to_string());
                }
            }
        }
        Err(e) if e.is::<Failure>() => {
            outcome.stats = encoder.stats().clone();
            outcome.failure = Some(e.to_string());
        }
        Err(e) => return Err(e),
    }
    Ok(outcome)
}

/// The receiver failed: it is down, it timed out, it refused a batch, or
/// it kept answering "retry later".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(String);

/// Posts one request, retrying 429, 502, 503 and 504 with exponential
/// backoff (1 s, 2 s, 4 s, ...) or the receiver's `Retry-After`.
async fn post(
    client: &reqwest::Client,
    settings: &Settings,
    request: &ExportTraceServiceRequest,
    outcome: &mut Outcome,
) -> std::result::Result<(), Failure> {
    let (body, content_type) = match settings.protocol {
        Protocol::HttpProtobuf => (request.encode_to_vec(), "application/x-protobuf"),
        Protocol::HttpJson => (
            serde_json::to_vec(request).expect("a request serializes"),
            "application/json",
        ),
    };
    let body = if settings.gzip {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).expect("writing to memory");
        gz.finish().expect("writing to memory")
    } else {
        body
    };
    let url = &settings.url;
    let mut backoff = Duration::from_secs(1);
    for attempt in 1..=MAX_ATTEMPTS {
        let mut builder = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.clone());
        if settings.gzip {
            builder = builder.header(reqwest::header::CONTENT_ENCODING, "gzip");
        }
        for (name, value) in &settings.headers {
            builder = builder.header(name, value);
        }
        outcome.requests += 1;
        let response = builder.send().await.map_err(|e| {
            Failure(if e.is_timeout() {
                format!(
                    "the OTLP receiver at {url} did not answer within {:?} (OTEL_EXPORTER_OTLP_TIMEOUT, in milliseconds, sets the limit)",
                    settings.timeout
                )
            } else {
                format!(
                    "cannot reach the OTLP receiver at {url} ({} gave it): {}",
                    settings.url_from,
                    error_chain(&e)
                )
            })
        })?;
        let status = response.status();
        if status.is_success() {
            let bytes = response.bytes().await.unwrap_or_default();
            note_partial_success(&bytes, content_type, outcome);
            return Ok(());
        }
        let retryable = matches!(status.as_u16(), 429 | 502 | 503 | 504);
        let wait = retry_after(response.headers())
            .unwrap_or(backoff)
            .min(MAX_BACKOFF);
        let text = response.text().await.unwrap_or_default();
        if !retryable || attempt == MAX_ATTEMPTS {
            let tries = if retryable {
                format!(" after {attempt} attempts")
            } else {
                String::new()
            };
            return Err(Failure(format!(
                "the OTLP receiver at {url} answered {status}{tries}{}",
                first_line(&text)
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            )));
        }
        outcome.retries += 1;
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    unreachable!("the last attempt returns")
}

/// `Retry-After` in seconds (the HTTP-date form falls back to the backoff).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A 200 may still say that spans were rejected (`partial_success`).
fn note_partial_success(bytes: &[u8], content_type: &str, outcome: &mut Outcome) {
    let response = if content_type == "application/json" {
        serde_json::from_slice::<ExportTraceServiceResponse>(bytes).ok()
    } else {
        ExportTraceServiceResponse::decode(bytes).ok()
    };
    if let Some(partial) = response.and_then(|r| r.partial_success) {
        outcome.rejected_spans += partial.rejected_spans;
        if !partial.error_message.is_empty() && outcome.rejected_message.is_none() {
            outcome.rejected_message = Some(partial.error_message);
        }
    }
}

fn first_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    // a protobuf error body is not text
    line.chars()
        .all(|c| !c.is_control())
        .then(|| line.chars().take(200).collect())
}

/// An error with its causes: reqwest's own message alone says only "error
/// sending request".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(flags: Flags, env: &[(&str, &str)]) -> Result<Settings> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(&flags, &|name| env.get(name).cloned())
    }

    #[test]
    fn the_endpoint_comes_from_the_flag_then_the_traces_variable_then_the_base() {
        let s = resolve(Flags::default(), &[]).unwrap();
        assert_eq!(s.url.as_str(), "http://localhost:4318/v1/traces");
        assert!(s.gzip);
        assert_eq!(s.protocol, Protocol::HttpProtobuf);
        assert_eq!(s.timeout, DEFAULT_TIMEOUT);
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/otlp/"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://tempo:4318/custom",
            ),
        ];
        assert_eq!(
            resolve(Flags::default(), &env[..1]).unwrap().url.as_str(),
            "http://collector:4318/otlp/v1/traces"
        );
        assert_eq!(
            resolve(Flags::default(), &env).unwrap().url.as_str(),
            "http://tempo:4318/custom"
        );
        let flag = |u: &str| Flags {
            otlp: Some(u.into()),
            ..Flags::default()
        };
        assert_eq!(
            resolve(flag("http://h:1"), &env).unwrap().url.as_str(),
            "http://h:1/v1/traces"
        );
        assert_eq!(
            resolve(flag("http://h:1/v1/traces"), &env)
                .unwrap()
                .url
                .as_str(),
            "http://h:1/v1/traces"
        );
        assert!(resolve(flag("localhost:4318"), &[]).is_err());
        assert!(resolve(flag("ftp://h/"), &[]).is_err());
    }

    #[test]
    fn headers_timeout_protocol_and_resource_follow_the_environment() {
        let env = [
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%3D,x-team=a"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment=ci",
            ),
        ];
        let s = resolve(
            Flags {
                headers: vec!["X-Team=b".into()],
                ..Flags::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(
            s.headers,
            [
                ("x-api-key".to_string(), "abc=".to_string()),
                ("X-Team".to_string(), "b".to_string())
            ]
        );
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert_eq!(s.protocol, Protocol::HttpJson);
        assert!(!s.gzip);
        assert_eq!(s.resource.service_name.as_deref(), Some("from-attrs"));
        assert_eq!(
            s.resource.attributes,
            [("deployment.environment".to_string(), "ci".to_string())]
        );
        let named = [("OTEL_SERVICE_NAME", "shop"), env[4]];
        assert_eq!(
            resolve(Flags::default(), &named)
                .unwrap()
                .resource
                .service_name
                .as_deref(),
            Some("shop")
        );
    }

    #[test]
    fn bad_settings_are_refused_with_the_variable_named() {
        let err = |env: &[(&str, &str)]| resolve(Flags::default(), env).unwrap_err().to_string();
        assert!(err(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")])
            .contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc"));
        assert!(err(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "10s")]).contains("milliseconds"));
        assert!(err(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")]).contains("gzip or none"));
        let bad_header = Flags {
            headers: vec!["novalue".into()],
            ..Flags::default()
        };
        assert!(resolve(bad_header, &[])
            .unwrap_err()
            .to_string()
            .contains("NAME=VALUE"));
    }
}
